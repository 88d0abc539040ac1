import { UnrecoverableError, type Job } from 'bullmq';
import { chunkLayoutOf, chunkResultSchema, mergeJobSchema, VideoStatus, type FrameResult } from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { ChunkResultMerger } from './merge-chunk-results.js';

/** Chunks read per round trip: bounded memory however long the video. */
const READ_BATCH = 16;

/**
 * Runs when every chunk is done (completed, or failed for good). Proves every analysed frame is
 * stored exactly once, writes the per-class summary and marks the video completed; a failed
 * chunk or a gap marks it failed with the cause instead.
 */
export async function handleMerge(job: Job, ctx: ProcessorContext): Promise<{ status: VideoStatus }> {
  const parsed = mergeJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid merge payload: ${parsed.error.message}`);
  const { videoId, chunksTotal } = parsed.data;
  const record = await ctx.videos.get(videoId);
  if (!record || record.status !== VideoStatus.Processing) return { status: record?.status ?? VideoStatus.Cancelled };

  const failures = Object.entries(await job.getIgnoredChildrenFailures());
  if (failures.length > 0) {
    const [jobKey, reason] = failures[0] as [string, string];
    const chunk = /-chunk-(\d+)$/.exec(jobKey)?.[1] ?? '?';
    const message = `chunk ${chunk} failed after ${ctx.config.jobs.chunkAttempts} attempt(s): ${reason}` + (failures.length > 1 ? ` (and ${failures.length - 1} more chunk(s))` : '');
    await ctx.videos.update(videoId, { status: VideoStatus.Failed, completed_at: new Date().toISOString(), error: { code: 'chunk_failed', message } }, [VideoStatus.Processing]);
    await ctx.videos.expire(record, ctx.config.jobs.resultTtlSeconds);
    return { status: VideoStatus.Failed };
  }

  const layout = chunkLayoutOf(record);
  if (!layout) throw new UnrecoverableError('the video has no chunk plan (frames_total or chunk_frames missing)');
  const merger = new ChunkResultMerger(layout);
  for (let first = 0; first < chunksTotal; first += READ_BATCH) {
    const indices = Array.from({ length: Math.min(READ_BATCH, chunksTotal - first) }, (_, i) => first + i);
    const stored = await ctx.videos.getChunkResults(videoId, indices);
    for (const [i, json] of stored.entries()) {
      const frames: FrameResult[] | null = json === null ? null : chunkResultSchema.parse(JSON.parse(json));
      merger.add(first + i, frames);
    }
  }
  if (!merger.complete()) {
    const message = `results are incomplete: ${merger.problems.slice(0, 5).join('; ')}`;
    await ctx.videos.update(videoId, { status: VideoStatus.Failed, completed_at: new Date().toISOString(), error: { code: 'incomplete_results', message } }, [VideoStatus.Processing]);
    return { status: VideoStatus.Failed };
  }
  await ctx.videos.update(videoId, { status: VideoStatus.Completed, completed_at: new Date().toISOString(), summary: merger.summary }, [VideoStatus.Processing]);
  await ctx.videos.expire(record, ctx.config.jobs.resultTtlSeconds);
  ctx.logger.info({ videoId, frames: record.frames_total }, 'video completed');
  return { status: VideoStatus.Completed };
}
