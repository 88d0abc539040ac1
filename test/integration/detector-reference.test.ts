import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DetectedObject } from '@video-detect/shared';
import { detectFrames, detectImage, type InferenceClient } from '../../services/detector/src/index.js';
import { planRange, probeMedia, startTestClient } from '../helpers/detector-fixtures.js';
import { sharedDir } from '../helpers/test-env.js';

/**
 * Our YOLOX-Nano pipeline against an independent implementation (OpenCV 4.6 DNN on the same ONNX
 * file, ../shared/reference): every reference box >= 0.3 must have a same-class match with IoU >=
 * 0.9 and a score within 0.05, and we must have no box above 0.4 that the reference lacks.
 */
interface Reference {
  score_threshold: number;
  nms_iou: number;
  videos: Record<string, { width: number; height: number; frames: Record<string, DetectedObject[]> }>;
  coco_images: Record<string, DetectedObject[]>;
}

const reference = JSON.parse(readFileSync(path.join(sharedDir, 'reference', 'yolox_nano_opencv.json'), 'utf8')) as Reference;

function iou(a: readonly number[], b: readonly number[]): number {
  const [ax1, ay1, ax2, ay2] = a as [number, number, number, number];
  const [bx1, by1, bx2, by2] = b as [number, number, number, number];
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
}

/** Problems with one frame's boxes, empty when it agrees with the reference. */
function compare(where: string, refs: readonly DetectedObject[], ours: readonly DetectedObject[]): string[] {
  const problems: string[] = [];
  for (const r of refs.filter((r) => r.score >= 0.3)) {
    const match = ours.find((o) => o.label === r.label && iou(o.box, r.box) >= 0.9 && Math.abs(o.score - r.score) <= 0.05);
    if (!match) {
      const near = ours.filter((o) => o.label === r.label).map((o) => `${o.score} iou ${iou(o.box, r.box).toFixed(3)}`);
      problems.push(`${where}: reference ${r.label} ${r.score} [${r.box.join(', ')}] unmatched (ours: ${near.join('; ') || 'none'})`);
    }
  }
  for (const o of ours.filter((o) => o.score > 0.4)) {
    // The reference has it when a same-class box overlaps it at all well (its score may be just under 0.4 there).
    if (!refs.some((r) => r.label === o.label && iou(r.box, o.box) >= 0.5)) problems.push(`${where}: extra ${o.label} ${o.score} [${o.box.join(', ')}]`);
  }
  return problems;
}

describe('detector matches the OpenCV reference (YOLOX-Nano)', () => {
  let client: InferenceClient;
  // The reference's own post-processing settings; boxes a little under 0.3 still count as matches.
  const post = { scoreThreshold: 0.25, nmsIou: reference.nms_iou, maxPerFrame: 100, classIds: null, multiLabel: false };

  before(async () => {
    client = await startTestClient('yolox_nano.onnx');
  });
  after(async () => {
    await client.close();
  });

  for (const [video, info] of Object.entries(reference.videos)) {
    it(`video ${video}: frames ${Object.keys(info.frames).join(', ')}`, async () => {
      const media = await probeMedia(video);
      assert.deepEqual([media.probed.width, media.probed.height], [info.width, info.height], 'displayed size');
      const problems: string[] = [];
      let boxes = 0;
      for (const [index, refs] of Object.entries(info.frames)) {
        const i = Number(index);
        // Frame i in presentation order, decoded alone through the chunk path.
        const { frames } = await detectFrames(client, {
          ffmpegPath: 'ffmpeg',
          file: media.file,
          streamIndex: media.probed.streamIndex,
          width: media.probed.width,
          height: media.probed.height,
          range: planRange(media.pts, i, i + 1),
          frames: [i],
          timestamps: [0],
          post,
        });
        assert.equal(frames.length, 1);
        assert.equal(frames[0]!.index, i);
        problems.push(...compare(`${video}#${i}`, refs, frames[0]!.objects));
        boxes += refs.filter((r) => r.score >= 0.3).length;
      }
      assert.deepEqual(problems, [], `${problems.length} disagreements over ${boxes} reference boxes`);
    });
  }

  it(`COCO images (${Object.keys(reference.coco_images).length})`, async () => {
    const problems: string[] = [];
    for (const [image, refs] of Object.entries(reference.coco_images)) {
      const { objects } = await detectImage(client, path.join(sharedDir, 'coco', 'images', image), post);
      problems.push(...compare(image, refs, objects));
    }
    assert.deepEqual(problems, []);
  });
});
