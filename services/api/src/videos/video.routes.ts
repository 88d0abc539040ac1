import type { RequestHandler } from 'express';
import type { AppContext } from '../context.js';
import { DEFAULT_TRACKER_SETTINGS, trackerSettingsSchema } from '@video-detect/shared';
import { analysisSettingsOr400 } from '../analyses/analysis-service.js';
import { parseOr400, type ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { TrackService } from '../tracks/track-service.js';
import { quotaGate } from './quota-errors.js';
import { UPLOAD_FIELD, uploadMiddleware } from './upload-middleware.js';
import { frameFilterOf } from './frame-filter.js';
import { VideoService, videoPath } from './video-service.js';
import {
  detectionsPageSchema,
  detectionsQuerySchema,
  listQuerySchema,
  uploadFieldsSchema,
  videoIdParamsSchema,
  videoListSchema,
  videoResourceSchema,
} from './video-schemas.js';

const notFound = 'Unknown video, or not yours.';
/** The upload's tracker settings merged over the defaults, checked as a whole (errors name `tracker.<field>`). */
const trackerOption = z.object({ tracker: trackerSettingsSchema });

export function registerVideoRoutes(routes: ApiRoutes, ctx: AppContext, uploadRateLimit: RequestHandler): void {
  const service = new VideoService(ctx);
  const tracks = new TrackService(ctx);
  const upload = uploadMiddleware(ctx);

  routes.add({
    method: 'post',
    path: '/api/v1/videos',
    summary: 'Upload a video for detection',
    description:
      'The file is stored, checked with ffprobe and queued. Follow it with GET /videos/{id}/events (Server-Sent Events), a webhook, or by polling the returned resource until `status` is `completed`. Send an `Idempotency-Key` to make a retried upload safe: the same key and file answer the first response and store nothing.',
    tags: ['videos'],
    auth: true,
    multipart: {
      fields: uploadFieldsSchema,
      file: { field: UPLOAD_FIELD, description: 'The video file.' },
      component: 'VideoUpload',
      discard: (file) => ctx.uploads.remove(file.filename),
    },
    idempotent: true,
    middleware: [uploadRateLimit, quotaGate(ctx.quotas), ...upload.receive],
    onError: upload.removeOnError,
    response: { status: 202, description: 'Accepted and queued.', schema: videoResourceSchema, headers: { Location: 'URL of the video resource.' } },
    errors: {
      413: 'The file is over the upload size limit, or over your storage quota (`storage_quota_exceeded`, USER_MAX_STORED_BYTES); the upload size limit answers `file_too_large`.',
      415: 'Not a decodable video.',
      507: 'The server has no room to store the upload; nothing was kept.',
      429: 'Too many requests, or (`too_many_active_videos`) you already have USER_MAX_ACTIVE_VIDEOS videos queued or processing.',
    },
    handler: async ({ user, upload: { file, fields } }) => {
      const tracking = fields.tracking ?? true;
      const tracker = tracking ? parseOr400(trackerOption, { tracker: { ...DEFAULT_TRACKER_SETTINGS, ...fields.tracker } }, 'upload options').tracker : null;
      const analysis = fields.analysis ? analysisSettingsOr400(fields.analysis, tracker, 'analysis.') : null;
      const options = { sample_fps: fields.sample_fps ?? null, min_score: fields.min_score ?? null, classes: fields.classes ?? null, tracking, tracker };
      const record = await service.accept(user.id, file, options, analysis, fields.client_tag ?? null);
      const base = ctx.config.api.publicBaseUrl?.replace(/\/$/, '') ?? '';
      return { body: await service.toResource(record), headers: { Location: `${base}${videoPath(record.id)}` } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos',
    summary: 'List your videos, newest first',
    tags: ['videos'],
    auth: true,
    query: listQuerySchema,
    response: { status: 200, description: 'A page of videos.', schema: videoListSchema },
    handler: async ({ user, query }) => ({ body: await service.list(user.id, query.offset, query.limit, query.client_tag) }),
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id',
    summary: 'One video: status, progress, summary',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    response: { status: 200, description: 'The video.', schema: videoResourceSchema },
    errors: { 404: notFound },
    handler: async ({ user, params }) => ({ body: await service.toResource(await service.getOwned(user.id, params.id)) }),
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/detections',
    summary: 'Page through the analysed frames and their objects',
    description:
      'Frames come in ascending index. `offset` and `limit` count analysed frames; `class`, `min_score` and `track_id` filter the objects within each frame (frames stay, so paging is stable). `from` and `to` (seconds) keep the frames of a time range: a page starts at the first of them when `offset` is before it, and `next_offset` is null after the last. `track_id` also keeps only the frames of the track\'s time span. While a video is processing, a page ends at the first chunk not yet analysed and `next_offset` points there.',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    query: detectionsQuerySchema,
    response: { status: 200, description: 'A page of frames.', schema: detectionsPageSchema },
    errors: { 404: 'Unknown video or track, or not yours.', 409: 'track_id given for a video that is not completed or not tracked.' },
    handler: async ({ user, params, query }) => {
      const record = await service.getOwned(user.id, params.id);
      return { body: await service.detectionsPage(record, query.offset, query.limit, await frameFilterOf(tracks, record, query)) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/videos/:id/cancel',
    summary: 'Cancel a video: stop its work, keep it and the results found so far',
    description:
      'Queued and running work stops (a running chunk within about half a second, writing nothing); the video becomes `cancelled` and stays readable, its detections so far included, until deleted. POST …/retry runs the rest. Cancelling a cancelled video answers it unchanged.',
    tags: ['videos'],
    auth: true,
    idempotent: true,
    params: videoIdParamsSchema,
    response: { status: 202, description: 'Cancelled.', schema: videoResourceSchema },
    errors: { 404: notFound, 409: 'The video already completed or failed.' },
    handler: async ({ user, params }) => ({ body: await service.toResource(await service.cancel(await service.getOwned(user.id, params.id))) }),
  });

  routes.add({
    method: 'post',
    path: '/api/v1/videos/:id/retry',
    summary: 'Retry a failed or cancelled video: only the chunks without results run, then the merge',
    description:
      'The video is queued again and cut into the same chunks as before; the chunks whose detections are stored are kept, the others are detected, and the merge checks the whole video again.',
    tags: ['videos'],
    auth: true,
    idempotent: true,
    params: videoIdParamsSchema,
    response: { status: 202, description: 'Queued again.', schema: videoResourceSchema },
    errors: {
      404: notFound,
      409: 'The video is not failed or cancelled, or its stopped run is still finishing (retry in a few seconds).',
      429: 'Too many requests, or (`too_many_active_videos`) you already have USER_MAX_ACTIVE_VIDEOS videos queued or processing.',
    },
    handler: async ({ user, params }) => ({ body: await service.toResource(await service.retry(await service.getOwned(user.id, params.id))) }),
  });

  routes.add({
    method: 'delete',
    path: '/api/v1/videos/:id',
    summary: 'Delete a video: stops its work, removes the file and results',
    tags: ['videos'],
    auth: true,
    params: videoIdParamsSchema,
    response: { status: 204, description: 'Deleted.', schema: undefined },
    errors: { 404: notFound },
    handler: async ({ user, params }) => {
      await service.delete(await service.getOwned(user.id, params.id));
    },
  });
}
