import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import {
  detectJobSchema,
  JobName,
  VideoStatus,
  type Config,
  type DetectJobData,
  type DetectJobResult,
  type Logger,
  type ModelInfo,
  type VideoStorage,
  type VideoStore,
} from '@video-detect/shared';
import type { InferenceClient } from '../inference/inference-client.js';
import { detectFrames } from '../pipeline/detect-frames.js';

export interface DetectHandlerDeps {
  config: Pick<Config, 'detector' | 'media'>;
  client: InferenceClient;
  store: VideoStore;
  storage: VideoStorage;
  logger: Logger;
}

const nothing: DetectJobResult = { frames: 0, objects: 0 };

/** Checks what the schema cannot: frames inside the range, ascending, aligned with timestamps. */
function payloadProblem(data: DetectJobData): string | null {
  if (data.endFrame <= data.startFrame) return `empty frame range [${data.startFrame}, ${data.endFrame})`;
  if (data.frames.length !== data.timestamps.length) return `${data.frames.length} frames but ${data.timestamps.length} timestamps`;
  for (let i = 0; i < data.frames.length; i++) {
    const f = data.frames[i]!;
    if (f < data.startFrame || f >= data.endFrame) return `frame ${f} is outside [${data.startFrame}, ${data.endFrame})`;
    if (i > 0 && f <= data.frames[i - 1]!) return 'frames are not strictly ascending';
  }
  return null;
}

/**
 * The `detect` job: decode one frame-exact chunk of the stored video, run the model on the frames
 * it lists, store the chunk's detections. Returns counts only. An invalid payload is unrecoverable;
 * every other error is rethrown so BullMQ's attempts and backoff apply.
 */
export function createDetectHandler(deps: DetectHandlerDeps): (job: Job<unknown, DetectJobResult>) => Promise<DetectJobResult> {
  const { config, client, store, storage, logger } = deps;
  const labelIds = new Map(client.model.labels.map((label, i) => [label, i]));
  // Recorded on the video with each chunk: which model produced its boxes.
  const { inputSize } = client.model.format;
  const modelInfo: ModelInfo = { name: path.basename(client.model.file), input_size: [inputSize, inputSize], execution_provider: client.model.executionProvider };

  return async (job) => {
    if (job.name !== JobName.Detect) throw new UnrecoverableError(`the detector has no handler for job "${job.name}"`);
    const parsed = detectJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid detect payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const data = parsed.data;
    const problem = payloadProblem(data);
    if (problem) throw new UnrecoverableError(`invalid detect payload: ${problem}`);
    const log = logger.child({ jobId: job.id, videoId: data.videoId, chunk: data.chunkIndex });

    // Gone, cancelled or failed meanwhile: nothing to do, and nothing to write.
    if ((await store.getStatus(data.videoId)) !== VideoStatus.Processing) {
      log.info('video is no longer processing; chunk skipped');
      return nothing;
    }

    const classIds = data.options.classes ? data.options.classes.flatMap((c) => (labelIds.has(c) ? [labelIds.get(c)!] : [])) : null;
    const started = performance.now();
    const outcome = await detectFrames(client, {
      ffmpegPath: config.media.ffmpegPath,
      file: storage.pathOf(data.file),
      streamIndex: data.streamIndex,
      width: data.width,
      height: data.height,
      range: { startFrame: data.startFrame, endFrame: data.endFrame, selectFrom: data.selectFrom, selectTo: data.selectTo, seekTo: data.seekTo },
      frames: data.frames,
      timestamps: data.timestamps,
      post: {
        scoreThreshold: data.options.min_score ?? config.detector.scoreThreshold,
        classIds,
        multiLabel: false,
        nmsIou: config.detector.nmsIou,
        maxPerFrame: config.detector.maxPerFrame,
      },
      onProgress: (done) => store.setChunkProgress(data.videoId, data.chunkIndex, done),
    });
    if (outcome.stopped) {
      log.info('video deleted or cancelled while its chunk ran; stopped');
      return nothing;
    }
    const objects = outcome.frames.reduce((sum, f) => sum + f.objects.length, 0);
    const saved = await store.saveChunkResult(data.videoId, data.chunkIndex, JSON.stringify(outcome.frames), outcome.frames.length, modelInfo);
    if (!saved) {
      log.info('video left processing before its chunk was stored; result dropped');
      return nothing;
    }
    const ms = performance.now() - started;
    log.info(
      { frames: outcome.frames.length, decoded: outcome.framesDecoded, objects, ms: Math.round(ms), fps: Math.round((outcome.frames.length / ms) * 1e4) / 10 },
      'chunk done',
    );
    return { frames: outcome.frames.length, objects };
  };
}
