import { AnalysisStatus, JobName, readChunks, IncompleteResultsError, VideoStatus, type ChunkLayout, type FrameResult, type Logger, type Summary } from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';

/** Finishes a video as completed (the merge without tracking, or the tracking job), then starts the analyses asked for at upload. */
export async function completeVideo(ctx: ProcessorContext, videoId: string, summary: Summary, log: Logger): Promise<void> {
  if (await ctx.videos.finish(videoId, { status: VideoStatus.Completed, summary })) log.info('video completed');
  await queuePendingAnalyses(ctx, videoId);
}

/**
 * Adds the job of every analysis still queued for a completed video. Job ids come from the
 * analysis, so a step retried after completing the video adds none twice.
 */
export async function queuePendingAnalyses(ctx: ProcessorContext, videoId: string): Promise<void> {
  for (const analysis of await ctx.analyses.list(videoId)) {
    if (analysis.status === AnalysisStatus.Queued) await ctx.jobs.add(JobName.Analyse, { videoId, analysisId: analysis.id });
  }
}

/** A proven-complete video's stored frames, a chunk at a time in order; a chunk gone missing is IncompleteResultsError. */
export async function* storedFrames(ctx: ProcessorContext, videoId: string, layout: ChunkLayout): AsyncGenerator<FrameResult[]> {
  for await (const { chunk, frames } of readChunks(ctx.videos, videoId, 0, layout.count - 1)) {
    if (frames === null) throw new IncompleteResultsError([`chunk ${chunk} has no stored result`]);
    yield frames;
  }
}
