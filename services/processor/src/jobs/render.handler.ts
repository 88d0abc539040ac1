import {
  AnalysisStatus,
  chunkLayoutOf,
  defineJobHandler,
  IncompleteResultsError,
  JobName,
  listFrameTimestamps,
  probeAudioCodec,
  probeVideo,
  RenderStatus,
  StorageFullError,
  UnreadableVideoError,
  renderFileName,
  VideoStatus,
  type RenderRecord,
  type VideoRecord,
} from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { renderVideo, RenderStoppedError } from '../rendering/render-video.js';
import { storedFrames } from './complete-video.js';

const ownerOf = (video: VideoRecord) => ({ id: video.owner_id, clientTag: video.client_tag });

/**
 * The `render` job: draws a completed video's stored boxes into a new MP4 (docs/outputs.md). The
 * file is written to scratch and published only when ffmpeg finished it, so a failed or deleted
 * render leaves nothing behind. While a failed attempt waits to be retried the render is `queued`
 * with that attempt's `error`; when the job fails for good the render is failed with the reason.
 */
export const renderHandler = defineJobHandler(
  JobName.Render,
  async ({ data: { videoId, renderId }, log }, ctx: ProcessorContext) => {
    const video = await ctx.videos.get(videoId);
    const render = await ctx.renders.get(videoId, renderId);
    if (!video || !render || render.status === RenderStatus.Completed) return { frames: 0, bytes: 0 };
    const layout = chunkLayoutOf(video);
    if (video.status !== VideoStatus.Completed || !layout || !video.video) throw new IncompleteResultsError([`the video is ${video.status}, not completed with results`]);
    const analysis = render.options.analysis_id ? await ctx.analyses.get(videoId, render.options.analysis_id) : null;
    if (render.options.analysis_id && analysis?.status !== AnalysisStatus.Completed) throw new UnreadableVideoError(`analysis ${render.options.analysis_id} is not completed`);

    const source = await ctx.uploads.source(video.file);
    const { ffmpegPath, ffprobePath, limits } = ctx.config.media;
    const probed = await probeVideo(source, ffprobePath, limits);
    const frameTimes = await listFrameTimestamps(source, probed.streamIndex, ffprobePath, limits);
    const framesTotal = frameTimes.length;
    const audioCodec = await probeAudioCodec(source, ffprobePath, limits);
    const fileName = renderFileName(videoId, renderId);
    let record: RenderRecord = { ...render, status: RenderStatus.Processing, progress: { frames_done: 0, frames_total: framesTotal }, error: null };
    if (!(await ctx.renders.replace(record, ownerOf(video)))) return { frames: 0, bytes: 0 };

    const started = performance.now();
    let frames: number;
    try {
      frames = await renderVideo(
        {
          ffmpegPath,
          limits,
          source,
          streamIndex: probed.streamIndex,
          width: probed.width,
          height: probed.height,
          fps: probed.fps ?? 25,
          frameTimes,
          timeBase: probed.timeBase,
          startTime: probed.startTime,
          audioCodec,
          output: ctx.uploads.scratchPathOf(fileName),
          encoder: ctx.config.renders,
          options: render.options,
          analysis,
          holdBoxes: video.options.sample_fps !== null,
        },
        storedFrames(ctx, videoId, layout),
        async (done) => ctx.renders.replace((record = { ...record, progress: { frames_done: done, frames_total: framesTotal } }), ownerOf(video)),
        log,
      );
      if (frames !== framesTotal) throw new UnreadableVideoError(`ffmpeg decoded ${frames} of the video's ${framesTotal} frames`);
    } catch (err) {
      await ctx.uploads.discardScratch(fileName);
      if (err instanceof RenderStoppedError) return { frames: 0, bytes: 0 };
      // Say where: the operator frees space there, and the retry (or a new request) renders it.
      if (err instanceof StorageFullError) throw new StorageFullError('the rendered MP4 could not be written in VIDEO_STORAGE_DIR; free space there', err.detail);
      throw err;
    }
    const bytes = await ctx.uploads.commitScratch(fileName);
    const done: RenderRecord = { ...record, status: RenderStatus.Completed, completed_at: new Date().toISOString(), progress: { frames_done: frames, frames_total: framesTotal }, file: fileName, size_bytes: bytes };
    if (!(await ctx.renders.replace(done, ownerOf(video)))) {
      // Deleted while it ran: its file goes too.
      await ctx.uploads.remove(fileName);
      return { frames, bytes: 0 };
    }
    const seconds = (performance.now() - started) / 1000;
    log.info({ frames, bytes, fps: Math.round(frames / seconds) }, 'render done');
    return { frames, bytes };
  },
  async ({ videoId, renderId }, error, ctx) => {
    await ctx.uploads.discardScratch(renderFileName(videoId, renderId));
    const [video, render] = await Promise.all([ctx.videos.get(videoId), ctx.renders.get(videoId, renderId)]);
    if (video && render) await ctx.renders.replace({ ...render, status: RenderStatus.Failed, completed_at: new Date().toISOString(), error }, ownerOf(video));
  },
  // Waiting for its next attempt: queued again, with the reason the last one failed for clients to see.
  async ({ videoId, renderId }, error, attempt, ctx) => {
    const [video, render] = await Promise.all([ctx.videos.get(videoId), ctx.renders.get(videoId, renderId)]);
    if (!video || !render || render.status === RenderStatus.Completed || render.status === RenderStatus.Failed) return;
    const message = `attempt ${attempt.made} of ${attempt.of} failed, it will be tried again: ${error.message}`;
    await ctx.renders.replace({ ...render, status: RenderStatus.Queued, progress: { ...render.progress, frames_done: 0 }, error: { code: error.code, message } }, ownerOf(video));
  },
);
