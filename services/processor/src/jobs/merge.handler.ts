import {
  chunkLayoutOf,
  chunkResultSchema,
  ChunksFailedError,
  defineJobHandler,
  IncompleteResultsError,
  JobName,
  VideoStatus,
} from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { ChunkResultMerger } from './merge-chunk-results.js';

/** Chunks read per round trip: bounded memory however long the video. */
const READ_BATCH = 16;

/**
 * The `merge` job, run when every chunk is done (completed, or failed for good). Proves every
 * analysed frame is stored exactly once, writes the per-class summary and finishes the video as
 * completed. Results with a gap are IncompleteResultsError; a chunk that failed for good while the
 * video is still processing (its detector failed it already in the common case) is ChunksFailedError.
 */
export const mergeHandler = defineJobHandler(JobName.Merge, async ({ job, data: { videoId, chunksTotal }, log }, ctx: ProcessorContext) => {
  const record = await ctx.videos.get(videoId);
  if (!record || record.status !== VideoStatus.Processing) return { status: record?.status ?? VideoStatus.Cancelled };
  const layout = chunkLayoutOf(record);
  if (!layout) throw new IncompleteResultsError(['the video has no chunk plan (frames_total or chunk_frames missing)']);

  const merger = new ChunkResultMerger(layout);
  for (let first = 0; first < chunksTotal; first += READ_BATCH) {
    const indices = Array.from({ length: Math.min(READ_BATCH, chunksTotal - first) }, (_, i) => first + i);
    const stored = await ctx.videos.getChunkResults(videoId, indices);
    for (const [i, json] of stored.entries()) merger.add(first + i, json === null ? null : chunkResultSchema.parse(JSON.parse(json)));
  }
  const complete = merger.complete();
  // Reasons of the chunks that failed for good (stalled too often, or their detector could not record it).
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  if (failures.length > 0) {
    const missing = merger.missingChunks.length > 0 ? `chunk ${merger.missingChunks.join(', ')}` : `${failures.length} chunk(s)`;
    throw new ChunksFailedError(`${missing} failed: ${failures[0]}`);
  }
  if (!complete) throw new IncompleteResultsError(merger.problems);
  await ctx.videos.finish(videoId, { status: VideoStatus.Completed, summary: merger.summary });
  log.info({ framesAnalysed: record.frames_total }, 'video completed');
  return { status: VideoStatus.Completed };
});
