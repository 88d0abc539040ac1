import type { RequestHandler } from 'express';
import type { AppContext } from '../context.js';
import { errorBodySchema, parseOr400, type ApiRoutes } from '../http/api-routes.js';
import { HttpError, unauthorized } from '../http/http-error.js';
import { uploadMiddleware } from './upload-middleware.js';
import { VideoService, videoPath } from './video-service.js';
import {
  detectionsPageSchema,
  detectionsQuerySchema,
  listQuerySchema,
  uploadBodySchema,
  uploadFieldsSchema,
  videoIdParamsSchema,
  videoListSchema,
  videoResourceSchema,
} from './video-schemas.js';
import type { Request } from 'express';

const notFoundResponse = { description: 'Unknown video, or not yours.', schema: errorBodySchema };

function userOf(req: Request) {
  if (!req.user) throw unauthorized();
  return req.user;
}

export function registerVideoRoutes(routes: ApiRoutes, ctx: AppContext, uploadRateLimit: RequestHandler): void {
  const service = new VideoService(ctx);
  const upload = uploadMiddleware(ctx);

  routes.add({
    method: 'post',
    path: '/api/v1/videos',
    summary: 'Upload a video for detection',
    description: 'The file is stored, checked with ffprobe and queued. Poll the returned resource until `status` is `completed`.',
    tags: ['videos'],
    auth: true,
    multipart: uploadBodySchema,
    middleware: [uploadRateLimit, ...upload.receive],
    onError: upload.removeOnError,
    responses: {
      202: {
        description: 'Accepted and queued.',
        schema: videoResourceSchema,
        headers: { Location: { description: 'URL of the video resource.', schema: { type: 'string' } } },
      },
      413: { description: 'The file is over the upload size limit.', schema: errorBodySchema },
      415: { description: 'Not a decodable video.', schema: errorBodySchema },
    },
    handler: async (_input, req, res) => {
      const user = userOf(req);
      if (!req.file) throw new HttpError(400, 'missing_file', 'Send the video as multipart/form-data in the field "video".');
      const fields = parseOr400(uploadFieldsSchema, req.body, 'upload options');
      const record = await service.accept(user.id, req.file, {
        sample_fps: fields.sample_fps ?? null,
        min_score: fields.min_score ?? null,
        classes: fields.classes ?? null,
      });
      const base = ctx.config.api.publicBaseUrl?.replace(/\/$/, '') ?? '';
      res.status(202).location(`${base}${videoPath(record.id)}`).json(await service.toResource(record));
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos',
    summary: 'List your videos, newest first',
    tags: ['videos'],
    auth: true,
    query: listQuerySchema,
    responses: { 200: { description: 'A page of videos.', schema: videoListSchema } },
    handler: async ({ query }, req, res) => {
      const user = userOf(req);
      const { ids, total } = await ctx.videos.listIds(user.id, query.offset, query.limit);
      const records = await ctx.videos.getMany(ids);
      // A missing record expired (RESULT_TTL_SECONDS): drop its index entry.
      const expired = ids.filter((_, i) => records[i] === null);
      await Promise.all(expired.map((id) => ctx.videos.forgetIndexEntry(user.id, id)));
      const items = await Promise.all(records.flatMap((record) => (record ? [service.toResource(record)] : [])));
      res.json({ items, next_offset: query.offset + query.limit < total ? query.offset + query.limit : null });
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id',
    summary: 'One video: status, progress, summary',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    responses: { 200: { description: 'The video.', schema: videoResourceSchema }, 404: notFoundResponse },
    handler: async ({ params }, req, res) => {
      res.json(await service.toResource(await service.getOwned(userOf(req).id, params.id)));
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/detections',
    summary: 'Page through the analysed frames and their objects',
    description:
      'Frames come in ascending index. `offset` and `limit` count analysed frames; `class` and `min_score` filter the objects within each frame (frames stay, so paging is stable). While a video is processing, a page ends at the first chunk not yet analysed and `next_offset` points there.',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    query: detectionsQuerySchema,
    responses: { 200: { description: 'A page of frames.', schema: detectionsPageSchema }, 404: notFoundResponse },
    handler: async ({ params, query }, req, res) => {
      const record = await service.getOwned(userOf(req).id, params.id);
      const filter = { classes: query.class ? new Set(query.class) : null, minScore: query.min_score ?? null };
      res.json(await service.detectionsPage(record, query.offset, query.limit, filter));
    },
  });

  routes.add({
    method: 'delete',
    path: '/api/v1/videos/:id',
    summary: 'Delete a video: stops its work, removes the file and results',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    responses: { 204: { description: 'Deleted.' }, 404: notFoundResponse },
    handler: async ({ params }, req, res) => {
      await service.delete(await service.getOwned(userOf(req).id, params.id));
      res.status(204).end();
    },
  });
}
