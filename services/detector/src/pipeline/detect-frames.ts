import type { FrameResult } from '@video-detect/shared';
import type { PostprocessOptions } from '../inference/detection-engine.js';
import type { InferenceClient } from '../inference/inference-client.js';
import { FrameDecoder, type FrameDecodeRequest } from '../media/frame-decoder.js';
import { computeLetterbox, familyInput } from '../preprocess/letterbox.js';

/** What to decode as FrameDecoder takes it; the pixel format is the model's own. */
export interface DetectFramesRequest extends Omit<FrameDecodeRequest, 'pixelFormat'> {
  /** Source frame indices to analyse (ascending, inside the range); null = every decoded frame. */
  frames: readonly number[] | null;
  /** Timestamps aligned with `frames` (or with every frame when `frames` is null); null = 0. */
  timestamps: readonly number[] | null;
  post: PostprocessOptions;
  /** Called about every `progressEveryMs` with frames analysed so far; returning false stops the work. */
  onProgress?: (framesDone: number) => Promise<boolean> | boolean;
  /** @defaultValue 500 */
  progressEveryMs?: number;
  /** Aborting kills ffmpeg and rejects. */
  signal?: AbortSignal;
}

export interface DetectFramesOutcome {
  /** Analysed frames in ascending index. */
  frames: FrameResult[];
  /** true when onProgress asked to stop: `frames` is then incomplete and must not be stored. */
  stopped: boolean;
  /** Frames ffmpeg delivered (analysed or skipped by sampling). */
  framesDecoded: number;
}

/** Batches that may wait at each inference thread: enough that decoding stays ahead of it. */
const IN_FLIGHT_PER_THREAD = 3;

/**
 * Decode → infer → boxes for one range of a video (or an image), pipelined: ffmpeg decodes the
 * next frames while the inference threads work on the previous ones; the main thread only moves
 * bytes. Used by the detect job and the benchmarks (no Redis needed).
 */
export async function detectFrames(client: InferenceClient, req: DetectFramesRequest): Promise<DetectFramesOutcome> {
  const { model } = client;
  const letterbox = computeLetterbox(model.format.family, req.width, req.height, model.format.inputSize);
  const start = req.range?.startFrame ?? 0;
  const wantedOrdinals = req.frames ? new Map(req.frames.map((index, i) => [index - start, i])) : null;
  const decoder = new FrameDecoder({
    ffmpegPath: req.ffmpegPath,
    limits: req.limits,
    file: req.file,
    streamIndex: req.streamIndex,
    width: req.width,
    height: req.height,
    pixelFormat: familyInput[model.format.family].pixelFormat,
    range: req.range,
  });

  const maxInFlight = IN_FLIGHT_PER_THREAD * client.threads;
  const results: FrameResult[] = [];
  const inFlight: Array<{ promise: Promise<void> }> = [];
  let batch: Array<{ index: number; timestamp: number; data: Uint8Array }> = [];
  const flush = () => {
    if (batch.length === 0) return;
    const frames = batch;
    batch = [];
    const promise = client
      .infer(
        frames.map((f) => f.data.buffer as ArrayBuffer),
        letterbox,
        req.post,
      )
      .then((objects) => {
        frames.forEach((f, i) => results.push({ index: f.index, timestamp: f.timestamp, objects: objects[i] ?? [] }));
      });
    // Observed later with await; this keeps a failure from being an unhandled rejection meanwhile.
    promise.catch(() => undefined);
    inFlight.push({ promise });
  };

  const progressEvery = req.progressEveryMs ?? 500;
  let lastProgress = performance.now();
  let stopped = false;
  try {
    const wanted = wantedOrdinals ? (o: number) => wantedOrdinals.has(o) : () => true;
    for await (const frame of decoder.frames({ wanted, signal: req.signal, allocate: (bytes) => client.frameBuffer(bytes) })) {
      const position = wantedOrdinals ? wantedOrdinals.get(frame.ordinal)! : frame.ordinal;
      batch.push({ index: start + frame.ordinal, timestamp: req.timestamps?.[position] ?? 0, data: frame.data });
      if (batch.length >= model.batchSize) flush();
      while (inFlight.length >= maxInFlight) await inFlight.shift()!.promise;
      if (req.onProgress && performance.now() - lastProgress >= progressEvery) {
        lastProgress = performance.now();
        if (!(await req.onProgress(results.length))) {
          stopped = true;
          break;
        }
      }
    }
    if (!stopped) flush();
    for (const { promise } of inFlight.splice(0)) await promise;
  } finally {
    decoder.kill();
    // Let nothing outlive this call, even on error: remaining results are simply dropped.
    await Promise.allSettled(inFlight.map((f) => f.promise));
    client.releaseFrameBuffers();
  }
  results.sort((a, b) => a.index - b.index);
  return { frames: results, stopped, framesDecoded: decoder.framesRead };
}
