import { AnalysisStatus, chunkLayoutOf, defineJobHandler, IncompleteResultsError, JobName, VideoStatus } from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { analyseFrames } from '../analysis/track-counter.js';
import { storedFrames } from './complete-video.js';

/**
 * The `analyse` job: counts one analysis's lines and zones from the stored detections of a
 * completed video, running the tracker with the analysis's settings (the video's, unless it names
 * others: then the same ids as /tracks). The model never runs again. When the job fails for good
 * the analysis is marked failed; its video stays completed.
 */
export const analyseHandler = defineJobHandler(
  JobName.Analyse,
  async ({ data: { videoId, analysisId }, log }, ctx: ProcessorContext) => {
    const analysis = await ctx.analyses.get(videoId, analysisId);
    if (!analysis || analysis.status === AnalysisStatus.Completed) return { status: analysis?.status ?? 'deleted' };
    const record = await ctx.videos.get(videoId);
    if (!record || record.status !== VideoStatus.Completed) return { status: analysis.status };
    const layout = chunkLayoutOf(record);
    if (!layout || !record.video) throw new IncompleteResultsError(['the completed video has no chunk plan or frame size']);

    const started = performance.now();
    await ctx.analyses.replace({ ...analysis, status: AnalysisStatus.Processing });
    const results = await analyseFrames(storedFrames(ctx, videoId, layout), analysis.settings, record.video);
    const done = { ...analysis, status: AnalysisStatus.Completed, completed_at: new Date().toISOString(), results, error: null };
    if (!(await ctx.analyses.replace(done))) return { status: 'deleted' };
    log.info({ ms: Math.round(performance.now() - started), frames: layout.framesTotal }, 'analysis done');
    return { status: done.status };
  },
  async ({ videoId, analysisId }, error, ctx) => {
    const analysis = await ctx.analyses.get(videoId, analysisId);
    if (analysis) await ctx.analyses.replace({ ...analysis, status: AnalysisStatus.Failed, completed_at: new Date().toISOString(), error });
  },
);
