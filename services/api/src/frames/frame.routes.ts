import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { formField, videoIdParamsSchema } from '../videos/video-schemas.js';
import { VideoService } from '../videos/video-service.js';
import { FrameSnapshots } from './frame-snapshot.js';

/** Widest `max_width` honoured; wider (or none) gives the frame's own size. */
const MAX_WIDTH = 8192;

const frameParamsSchema = videoIdParamsSchema.extend({
  index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ param: { name: 'index', in: 'path' }, description: '0-based index of the source frame.', example: 0 }),
});
const frameQuerySchema = z.object({
  boxes: formField(z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')).openapi({ type: 'string', description: '"true" draws the stored boxes of this frame (labels with track ids). Default: the plain frame.' }),
  max_width: formField(z.coerce.number().int().min(16).max(MAX_WIDTH)).openapi({ type: 'integer', description: 'Scale down to at most this width (16..8192), keeping the aspect ratio.' }),
});

export function registerFrameRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const videos = new VideoService(ctx);
  const snapshots = new FrameSnapshots(ctx);
  routes.addDownload({
    path: '/api/v1/videos/:id/frames/:index.jpg',
    summary: 'One frame of the stored video as JPEG, optionally with its boxes drawn',
    description:
      'Decoded frame-exactly from the stored upload (frame n is the frame whose detections have index n, e.g. a track\'s `best.index`). `ETag` and `Cache-Control` let browsers and proxies keep it; `If-None-Match` answers 304.',
    tags: ['videos'],
    auth: true,
    media: true,
    params: frameParamsSchema,
    query: frameQuerySchema,
    response: { description: 'The frame.', contentTypes: ['image/jpeg'], headers: { ETag: 'Changes only when the frame, its options or the video\'s results change.' } },
    errors: { 404: 'Unknown video, or not yours, or no such frame.' },
    handler: async ({ user, params, query }, { req, res }) => {
      const record = await videos.getOwned(user.id, params.id);
      const request = { index: params.index, boxes: query.boxes ?? false, maxWidth: query.max_width ?? null };
      res.set({ ETag: snapshots.etag(record, request), 'Cache-Control': 'private, max-age=3600' });
      if (req.fresh) {
        res.status(304).end();
        return;
      }
      const jpeg = await snapshots.jpeg(record, request);
      res.type('image/jpeg').send(jpeg);
    },
  });
}
