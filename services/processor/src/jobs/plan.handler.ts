import { UnrecoverableError } from 'bullmq';
import { defineJobHandler, JobName, listFrameTimestamps, probeVideo, UnreadableVideoError, VideoStatus } from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { planChunks } from '../planning/plan-chunks.js';
import { sampleFrames } from '../planning/sample-frames.js';

/**
 * The `plan` job: probes the stored video, lists every frame's timestamp, plans frame-exact chunks
 * and adds the flow: a `merge` parent on the processor queue whose `detect` children run on the
 * detectors. An unreadable file is UnreadableVideoError, a missing ffprobe FfmpegMissingError: both
 * fail the video at once. A retried video (POST /videos/{id}/retry) is cut exactly as before (its
 * recorded CHUNK_FRAMES, the same frames), and only the chunks without a stored result run again.
 */
export const planHandler = defineJobHandler(JobName.Plan, async ({ data: { videoId }, log }, ctx: ProcessorContext) => {
  const nothing = { chunks: 0, framesAnalysed: 0 };
  const record = await ctx.videos.get(videoId);
  if (!record || (record.status !== VideoStatus.Queued && record.status !== VideoStatus.Processing)) {
    log.info({ status: record?.status ?? 'deleted' }, 'video no longer waiting: nothing to do');
    return nothing;
  }

  const source = await ctx.uploads.source(record.file);
  const { ffprobePath, limits } = ctx.config.media;
  const probed = await probeVideo(source, ffprobePath, limits);
  const pts = await listFrameTimestamps(source, probed.streamIndex, ffprobePath, limits);
  if (pts.length === 0) throw new UnreadableVideoError('the video stream has no frames');

  const analysed = sampleFrames(pts, record.options.sample_fps);
  const chunkFrames = record.chunk_frames ?? ctx.config.jobs.chunkFrames;
  let chunks;
  try {
    chunks = planChunks({ pts, analysed, chunkFrames, startTime: probed.startTime });
  } catch (err) {
    // Two frames share a timestamp: no frame-exact cut exists, and no retry will find one.
    throw new UnrecoverableError(`cannot split the video into chunks: ${(err as Error).message}`);
  }
  if (record.chunks_total !== null && (record.chunks_total !== chunks.length || record.frames_total !== analysed.length)) {
    throw new UnrecoverableError(`re-planning cut ${analysed.length} frames into ${chunks.length} chunks, not ${record.frames_total} into ${record.chunks_total} as before`);
  }
  const { streamIndex, startTime, ...info } = probed;
  const lastPts = pts.at(-1)!;
  const outcome = await ctx.videos.startProcessing(record, {
    started_at: record.started_at ?? new Date().toISOString(),
    // The container's own count is not always there or right: state the counted one.
    video: { ...info, frame_count: pts.length, duration: info.duration ?? Math.max(0, lastPts - startTime) },
    frames_total: analysed.length,
    chunks_total: chunks.length,
    chunk_frames: chunkFrames,
    chunk_layout: 'even',
  });
  if (outcome !== 'updated') {
    log.info({ outcome }, 'video cancelled or deleted while planning');
    return nothing;
  }

  await ctx.videos.saveChunkTimes(videoId, chunks.map((chunk) => chunk.timestamps[0]!));
  const stored = await ctx.videos.chunksDone(videoId);
  const todo = chunks.filter((chunk) => !stored.has(chunk.chunkIndex));
  const options = { min_score: record.options.min_score, classes: record.options.classes };
  await ctx.jobs.addFlow(
    { name: JobName.Merge, data: { videoId, chunksTotal: chunks.length } },
    todo.map((chunk) => ({ name: JobName.Detect, data: { videoId, file: record.file, streamIndex, width: info.width, height: info.height, options, ...chunk } })),
  );
  log.info({ frames: pts.length, analysed: analysed.length, chunks: chunks.length, stored: stored.size }, 'flow added');
  return { chunks: chunks.length, framesAnalysed: analysed.length };
});
