import { CHUNK_READ_BATCH, chunkLayoutOf, ChunksFailedError, defineJobHandler, IncompleteResultsError, JobName, mergeProgress, readChunks, VideoStatus } from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { completeVideo } from './complete-video.js';
import { ChunkResultMerger } from './merge-chunk-results.js';

/**
 * The `merge` job, run when every chunk is done (completed, or failed for good). Proves every
 * analysed frame is stored exactly once and builds the per-class summary; then adds the `track`
 * job, or (tracking switched off) finishes the video as completed; its job progress (`MergeProgress`)
 * counts the chunks read so far. Results with a gap are
 * IncompleteResultsError; a chunk that failed for good while the video is still processing (its
 * detector failed it already in the common case) is ChunksFailedError.
 */
export const mergeHandler = defineJobHandler(JobName.Merge, async ({ job, data: { videoId, chunksTotal }, log }, ctx: ProcessorContext) => {
  const record = await ctx.videos.get(videoId);
  if (!record || record.status !== VideoStatus.Processing) return { status: record?.status ?? VideoStatus.Cancelled };
  const layout = chunkLayoutOf(record);
  if (!layout) throw new IncompleteResultsError(['the video has no chunk plan (frames_total or chunk_frames missing)']);

  const merger = new ChunkResultMerger(layout);
  let merged = 0;
  if (chunksTotal > 0) {
    for await (const { chunk, frames } of readChunks(ctx.videos, videoId, 0, chunksTotal - 1)) {
      merger.add(chunk, frames);
      // Once per batch read: the job's progress shows how far a long video's merge got (bull-board, Queue.getJob).
      if (++merged % CHUNK_READ_BATCH === 0 || merged === chunksTotal) await job.updateProgress(mergeProgress(merged, chunksTotal));
    }
  }
  const complete = merger.complete();
  // Reasons of the chunks that failed for good (stalled too often, or their detector could not record it).
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  if (failures.length > 0) {
    const missing = merger.missingChunks.length > 0 ? `chunk ${merger.missingChunks.join(', ')}` : `${failures.length} chunk(s)`;
    throw new ChunksFailedError(`${missing} failed: ${failures[0]}`);
  }
  if (!complete) throw new IncompleteResultsError(merger.problems);
  if (record.options.tracking) {
    await ctx.jobs.add(JobName.Track, { videoId, summary: merger.summary });
    log.info({ framesAnalysed: record.frames_total }, 'results complete; tracking next');
    return { status: VideoStatus.Processing };
  }
  await completeVideo(ctx, videoId, merger.summary, log);
  return { status: VideoStatus.Completed };
});
