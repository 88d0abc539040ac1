import { listFrameTimestamps, probeVideo } from '@video-detect/shared';
import type { PostprocessOptions } from '../inference/detection-engine.js';
import type { InferenceClient } from '../inference/inference-client.js';
import { detectFrames, type DetectFramesOutcome } from './detect-frames.js';

export interface DetectFileOptions {
  ffmpegPath: string;
  ffprobePath: string;
  post: PostprocessOptions;
  /** Read every frame's pts to fill `timestamp` (s from the start). @defaultValue true */
  timestamps?: boolean;
}

/**
 * The whole pipeline on one video file, in this process, without Redis or a queue: probe, decode every
 * frame, infer, decode + NMS. The "bare single-process loop" the benchmarks compare against, and
 * what the reference tests run.
 */
export async function detectFile(client: InferenceClient, file: string, options: DetectFileOptions): Promise<DetectFramesOutcome & { width: number; height: number }> {
  const probed = await probeVideo(file, options.ffprobePath);
  let timestamps: number[] | null = null;
  if (options.timestamps ?? true) {
    const pts = await listFrameTimestamps(file, probed.streamIndex, options.ffprobePath);
    timestamps = pts.map((t) => Math.max(0, Math.round((t - probed.startTime) * 1e6) / 1e6));
  }
  const outcome = await detectFrames(client, {
    ffmpegPath: options.ffmpegPath,
    file,
    streamIndex: probed.streamIndex,
    width: probed.width,
    height: probed.height,
    range: null,
    frames: null,
    timestamps,
    post: options.post,
  });
  return { ...outcome, width: probed.width, height: probed.height };
}

