import { AnalysisStatus, JobName, newRenderRecord, RenderStatus, renderOptionsSchema, renderResourceSchema, toRenderResource, renderFileName } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { completedOr409 } from '../exports/export.routes.js';
import { HttpError, notFound } from '../http/http-error.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { videoIdParamsSchema } from '../videos/video-schemas.js';
import { VideoService } from '../videos/video-service.js';
import { sendStoredFile } from '../media/send-stored-file.js';

const renderParamsSchema = videoIdParamsSchema.extend({
  render_id: z.string().uuid().openapi({ param: { name: 'render_id', in: 'path' } }),
});
const renderBodySchema = z.object(renderOptionsSchema.shape).openapi('RenderOptions', { example: { classes: ['person', 'car'], min_score: 0.4, track_ids: true, trails: true, analysis_id: null } });
const renderSchema = z.object(renderResourceSchema.shape).openapi('Render');
const renderListSchema = z.object({ items: z.array(renderSchema) }).openapi('RenderList');
const renderNotFound = 'Unknown video or render, or not yours.';

export function registerRenderRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const videos = new VideoService(ctx);

  routes.add({
    method: 'post',
    path: '/api/v1/videos/:id/renders',
    summary: 'Start an annotated video: the boxes (and optionally track ids, trails, lines and zones with counts) drawn into an MP4',
    description:
      'Runs on its own queue (never a detector\'s slot). The same options again answer the same render (a failed one is started again). Poll `links.self`, or wait for the `render.completed` / `render.failed` event; the MP4 is at `links.file`: H.264, yuv420p, faststart, the source\'s size, frame rate and audio.',
    tags: ['renders'],
    auth: true,
    idempotent: true,
    params: videoIdParamsSchema,
    body: renderBodySchema,
    response: { status: 202, description: 'The render, queued (or the one with these options).', schema: renderSchema, headers: { Location: 'URL of the render.' } },
    errors: { 404: 'Unknown video or analysis, or not yours.', 409: 'The video (or the named analysis) is not completed.' },
    handler: async ({ user, params, body }) => {
      const video = await videos.getOwned(user.id, params.id);
      completedOr409(video, 'renders');
      if (body.analysis_id) {
        const analysis = await ctx.analyses.get(video.id, body.analysis_id);
        if (!analysis) throw notFound('analysis');
        if (analysis.status !== AnalysisStatus.Completed) throw new HttpError(409, 'analysis_not_completed', `The analysis is ${analysis.status}: draw it once it is completed.`);
      }
      const claim = await ctx.renders.claim(newRenderRecord(video.id, body));
      if (claim.outcome === 'not_completed') {
        if (claim.videoStatus === null) throw notFound();
        throw new HttpError(409, 'video_not_completed', `The video is ${claim.videoStatus}: renders come with a completed video.`);
      }
      if (claim.outcome === 'created') {
        // A failed render's job is kept for a while under the same id: it must go before the new one.
        await ctx.jobs.remove(JobName.Render, { renderId: claim.record.id });
        await ctx.jobs.add(JobName.Render, { videoId: video.id, renderId: claim.record.id });
      }
      const resource = toRenderResource(claim.record);
      return { body: resource, headers: { Location: resource.links.self } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/renders',
    summary: "A video's renders, oldest first",
    tags: ['renders'],
    auth: true,
    params: videoIdParamsSchema,
    response: { status: 200, description: 'The renders.', schema: renderListSchema },
    errors: { 404: 'Unknown video, or not yours.' },
    handler: async ({ user, params }) => {
      const video = await videos.getOwned(user.id, params.id);
      return { body: { items: (await ctx.renders.list(video.id)).map(toRenderResource) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/renders/:render_id',
    summary: 'One render: status and progress',
    tags: ['renders'],
    auth: true,
    params: renderParamsSchema,
    response: { status: 200, description: 'The render.', schema: renderSchema },
    errors: { 404: renderNotFound },
    handler: async ({ user, params }) => {
      const video = await videos.getOwned(user.id, params.id);
      const render = await ctx.renders.get(video.id, params.render_id);
      if (!render) throw notFound('render');
      return { body: toRenderResource(render) };
    },
  });

  routes.addDownload({
    path: '/api/v1/videos/:id/renders/:render_id/file',
    summary: "A completed render's MP4, with range requests",
    description: 'H.264 (yuv420p, faststart) with the source\'s audio, size and frame rate: plays and seeks in browsers. Send `Range` for a part (206).',
    tags: ['renders'],
    auth: true,
    media: true,
    params: renderParamsSchema,
    response: { description: 'The MP4.', contentTypes: ['video/mp4'], ranges: true, headers: { 'Accept-Ranges': 'bytes', ETag: 'Validator for If-None-Match and If-Range.' } },
    errors: { 404: renderNotFound, 409: 'The render is not completed.' },
    handler: async ({ user, params }, { req, res }) => {
      const video = await videos.getOwned(user.id, params.id);
      const render = await ctx.renders.get(video.id, params.render_id);
      if (!render) throw notFound('render');
      if (render.status !== RenderStatus.Completed) throw new HttpError(409, 'render_not_completed', `The render is ${render.status}.`);
      await sendStoredFile(ctx, req, res, renderFileName(video.id, render.id), 'video/mp4', 'The rendered file is gone.');
    },
  });
}
