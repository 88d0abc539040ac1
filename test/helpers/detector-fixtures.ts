import { probeVideo, type ProbedVideo } from '@video-detect/shared';
import { listFrameTimestamps } from '@video-detect/shared';
import { InferenceClient, type FrameRange } from '../../services/detector/src/index.js';
import { mediaPath, modelPath } from './test-env.js';

/** The test videos in ../shared/media. */
export const mediaFiles = ['bottle-detection.mp4', 'car-detection.mp4', 'one-by-one-person-detection.mp4', 'friday.mp4', 'flower.webm', 'iphone_rotated.mov'];

export interface ProbedMedia {
  file: string;
  probed: ProbedVideo;
  /** Every frame's pts (stream timestamps), ascending. */
  pts: number[];
}

export async function probeMedia(name: string): Promise<ProbedMedia> {
  const file = mediaPath(name);
  const probed = await probeVideo(file);
  return { file, probed, pts: await listFrameTimestamps(file, probed.streamIndex) };
}

/**
 * The frame range [start, end) as the processor plans it: the select window runs between the
 * midpoints to the neighbouring frames' pts, open at either end of the video; seek 1 s early.
 */
export function planRange(pts: readonly number[], start: number, end: number): FrameRange {
  const selectFrom = start === 0 ? null : (pts[start - 1]! + pts[start]!) / 2;
  const selectTo = end >= pts.length ? null : (pts[end - 1]! + pts[end]!) / 2;
  return { startFrame: start, endFrame: end, selectFrom, selectTo, seekTo: Math.max(0, (selectFrom ?? 0) - 1) };
}

export function startTestClient(model = 'yolox_nano.onnx', intraOpThreads = 0): Promise<InferenceClient> {
  return InferenceClient.start({ modelPath: modelPath(model), executionProvider: 'cpu', deviceId: 0, intraOpThreads, batchSize: 1 });
}
