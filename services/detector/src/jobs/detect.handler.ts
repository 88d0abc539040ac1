import path from 'node:path';
import {
  defineJobHandler,
  isUnreachable,
  JobName,
  StorageUnavailableError,
  VideoStatus,
  type Config,
  type JobHandler,
  type ModelInfo,
  type UploadStorage,
  type VideoStore,
} from '@video-detect/shared';
import type { InferenceClient } from '../inference/inference-client.js';
import { FrameDecodeError } from '../media/frame-decode-error.js';
import { detectFrames } from '../pipeline/detect-frames.js';

export interface DetectHandlerDeps {
  config: Pick<Config, 'detector' | 'media'>;
  client: InferenceClient;
  videos: VideoStore;
  uploads: UploadStorage;
}

/**
 * The `detect` job: decode one frame-exact chunk of the stored video, run the model on the frames
 * it lists, store the chunk's detections. Returns counts only. A missing upload or ffmpeg fails the
 * video at once; a decoding failure is DecodeFailedError, retried.
 */
export function createDetectHandler(deps: DetectHandlerDeps): JobHandler<typeof JobName.Detect, unknown> {
  const { config, client, videos, uploads } = deps;
  const labelIds = new Map(client.model.labels.map((label, i) => [label, i]));
  // Recorded on the video with each chunk: which model produced its boxes.
  const { inputSize } = client.model.format;
  const modelInfo: ModelInfo = { name: path.basename(client.model.file), input_size: [inputSize, inputSize], execution_provider: client.model.executionProvider };
  const nothing = { framesAnalysed: 0, objects: 0 };

  return defineJobHandler(JobName.Detect, async ({ data, log: jobLog }) => {
    const log = jobLog.child({ chunk: data.chunkIndex });
    // Gone, cancelled or failed meanwhile: nothing to do, and nothing to write.
    if ((await videos.getStatus(data.videoId)) !== VideoStatus.Processing) {
      log.info('video is no longer processing; chunk skipped');
      return nothing;
    }

    const classIds = data.options.classes ? data.options.classes.flatMap((c) => (labelIds.has(c) ? [labelIds.get(c)!] : [])) : null;
    const started = performance.now();
    const source = await uploads.source(data.file);
    const outcome = await detectFrames(client, {
      ffmpegPath: config.media.ffmpegPath,
      limits: config.media.limits,
      file: source,
      streamIndex: data.streamIndex,
      width: data.width,
      height: data.height,
      range: { startFrame: data.startFrame, endFrame: data.endFrame, selectFrom: data.selectFrom, selectTo: data.selectTo, seekTo: data.seekTo },
      frames: data.frameIndices,
      timestamps: data.timestamps,
      post: {
        scoreThreshold: data.options.min_score ?? config.detector.scoreThreshold,
        classIds,
        multiLabel: false,
        nmsIou: config.detector.nmsIou,
        maxPerFrame: config.detector.maxPerFrame,
      },
      onProgress: (done) => videos.setChunkProgress(data.videoId, data.chunkIndex, done),
    }).catch((err: unknown) => {
      if (!(err instanceof FrameDecodeError)) throw err;
      // ffmpeg cut off from the object store (STORAGE=s3) is the store's failure, not the video's: retried as such.
      throw isUnreachable(source, err.message) ? new StorageUnavailableError('reading the chunk', err) : err.toJobFailure(config.media.ffmpegPath);
    });
    if (outcome.stopped) {
      log.info('video deleted or cancelled while its chunk ran; stopped');
      return nothing;
    }
    const frameResults = outcome.frames;
    const objects = frameResults.reduce((sum, f) => sum + f.objects.length, 0);
    const saved = await videos.saveChunkResult(data.videoId, data.chunkIndex, JSON.stringify(frameResults), frameResults.length, modelInfo);
    if (!saved) {
      log.info('video left processing before its chunk was stored; result dropped');
      return nothing;
    }
    const ms = performance.now() - started;
    log.info(
      { framesAnalysed: frameResults.length, decoded: outcome.framesDecoded, objects, ms: Math.round(ms), fps: Math.round((frameResults.length / ms) * 1e4) / 10 },
      'chunk done',
    );
    return { framesAnalysed: frameResults.length, objects };
  });
}
