import { UnrecoverableError, type Job } from 'bullmq';
import {
  detectJobSchema,
  FrameListingError,
  listFrameTimestamps,
  finishedJobRetention,
  jobIds,
  JobName,
  NotAVideoError,
  probeVideo,
  processJobSchema,
  QueueName,
  VideoStatus,
  type DetectJobData,
  type MergeJobData,
} from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { planChunks } from '../planning/plan-chunks.js';
import { sampleFrames } from '../planning/sample-frames.js';

/**
 * Probes the stored video, lists every frame's timestamp, plans frame-exact chunks and adds the
 * flow: a `merge` parent on the processor queue whose `detect` children run on the detectors.
 */
export async function handleProcess(job: Job, ctx: ProcessorContext): Promise<{ chunks: number; frames: number }> {
  const parsed = processJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid process payload: ${parsed.error.message}`);
  const { videoId } = parsed.data;
  const record = await ctx.videos.get(videoId);
  if (!record || (record.status !== VideoStatus.Queued && record.status !== VideoStatus.Processing)) {
    ctx.logger.info({ videoId, status: record?.status ?? 'deleted' }, 'video no longer waiting: nothing to do');
    return { chunks: 0, frames: 0 };
  }

  const file = ctx.storage.pathOf(record.file);
  let pts: number[];
  let probed;
  try {
    probed = await probeVideo(file, ctx.config.media.ffprobePath);
    pts = await listFrameTimestamps(file, probed.streamIndex, ctx.config.media.ffprobePath);
  } catch (err) {
    if (err instanceof NotAVideoError || err instanceof FrameListingError) throw new UnrecoverableError(`unreadable video: ${err.message}`);
    throw err;
  }
  if (pts.length === 0) throw new UnrecoverableError('unreadable video: the video stream has no frames');

  const analysed = sampleFrames(pts, record.options.sample_fps);
  let chunks;
  try {
    chunks = planChunks({ pts, analysed, chunkFrames: ctx.config.jobs.chunkFrames, startTime: probed.startTime });
  } catch (err) {
    throw new UnrecoverableError(`cannot split the video into chunks: ${(err as Error).message}`);
  }
  const { streamIndex: _s, startTime: _t, ...info } = probed;
  const lastPts = pts.at(-1) as number;
  const outcome = await ctx.videos.update(
    videoId,
    {
      status: VideoStatus.Processing,
      started_at: record.started_at ?? new Date().toISOString(),
      // The container's own count is not always there or right: state the counted one.
      video: { ...info, frame_count: pts.length, duration: info.duration ?? Math.max(0, lastPts - probed.startTime) },
      frames_total: analysed.length,
      chunks_total: chunks.length,
      chunk_frames: ctx.config.jobs.chunkFrames,
      chunk_layout: 'even',
    },
    [VideoStatus.Queued, VideoStatus.Processing],
  );
  if (outcome !== 'updated') {
    ctx.logger.info({ videoId, outcome }, 'video cancelled or deleted while planning');
    return { chunks: 0, frames: 0 };
  }

  const { chunkAttempts, chunkBackoffMs } = ctx.config.jobs;
  const mergeData: MergeJobData = { videoId, chunksTotal: chunks.length };
  await ctx.flows.add({
    name: JobName.Merge,
    queueName: QueueName.Processor,
    data: mergeData,
    opts: { jobId: jobIds.merge(videoId), attempts: 3, backoff: { type: 'exponential', delay: 2000 }, ...finishedJobRetention },
    children: chunks.map((chunk) => {
      const data: DetectJobData = detectJobSchema.parse({
        videoId,
        file: record.file,
        streamIndex: probed.streamIndex,
        width: probed.width,
        height: probed.height,
        options: { min_score: record.options.min_score, classes: record.options.classes },
        ...chunk,
      });
      return {
        name: JobName.Detect,
        queueName: QueueName.Detector,
        data,
        opts: {
          jobId: jobIds.detect(videoId, chunk.chunkIndex),
          attempts: chunkAttempts,
          backoff: { type: 'exponential', delay: chunkBackoffMs },
          // A chunk that fails for good does not block the merge: merge sees it and fails the video with its reason.
          ignoreDependencyOnFailure: true,
          ...finishedJobRetention,
        },
      };
    }),
  });
  ctx.logger.info({ videoId, frames: pts.length, analysed: analysed.length, chunks: chunks.length }, 'flow added');
  return { chunks: chunks.length, frames: analysed.length };
}
