import type { DetectedObject } from '@video-detect/shared';
import { toSourceX, toSourceY, type Letterbox } from '../preprocess/letterbox.js';
import type { Candidate } from './candidate.js';
import { nonMaxSuppression } from './nms.js';

export interface NmsOptions {
  /** Boxes of one class overlapping a better one by more than this IoU are dropped. */
  nmsIou: number;
  /** Cap on boxes per frame, best scores kept. */
  maxPerFrame: number;
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const clamp = (x: number, max: number) => Math.min(Math.max(x, 0), max);

/**
 * From decoded boxes in model-input pixels to the objects we store: mapped back to source pixels,
 * NMS there (as the references do, on unclipped boxes), then clipped to the frame and rounded
 * (boxes to 2 decimals, scores to 4).
 */
export function toDetectedObjects(
  candidates: readonly Candidate[],
  letterbox: Letterbox,
  labels: readonly string[],
  options: NmsOptions,
): DetectedObject[] {
  const mapped = candidates.map((c) => ({
    ...c,
    x1: toSourceX(letterbox, c.x1),
    y1: toSourceY(letterbox, c.y1),
    x2: toSourceX(letterbox, c.x2),
    y2: toSourceY(letterbox, c.y2),
  }));
  const { srcWidth: w, srcHeight: h } = letterbox;
  return nonMaxSuppression(mapped, options.nmsIou, options.maxPerFrame).map((c) => ({
    label: labels[c.classId] ?? `class_${c.classId}`,
    class_id: c.classId,
    score: round(c.score, 4),
    box: [round(clamp(c.x1, w), 2), round(clamp(c.y1, h), 2), round(clamp(c.x2, w), 2), round(clamp(c.y2, h), 2)],
  }));
}
