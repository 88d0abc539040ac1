import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { VideoService } from '../videos/video-service.js';
import { videoIdParamsSchema } from '../videos/video-schemas.js';
import { mediaResourcePattern } from './media-urls.js';
import { sendStoredFile } from './send-stored-file.js';
import { contentTypeOf, storedVideoContentTypes } from './video-content-type.js';

const notFound = 'Unknown video, or not yours.';

const mediaUrlsRequestSchema = z
  .object({
    resources: z
      .array(z.string().regex(mediaResourcePattern, '"file", "renders/<render id>/file" or "frames/<index>.jpg"'))
      .min(1)
      .max(100)
      .openapi({ example: ['file', 'frames/12.jpg'], description: 'Paths relative to the video: `file`, `renders/{render_id}/file`, `frames/{index}.jpg` (1..100).' }),
  })
  .openapi('MediaUrlsRequest');

const signedUrlSchema = z
  .object({
    resource: z.string(),
    url: z.string().openapi({ description: 'Use as `src` of a `<video>` or `<img>`: works without the Authorization header until `expires_at`, for this resource only.' }),
    expires_at: z.string(),
  })
  .openapi('SignedMediaUrl');

export function registerMediaRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const videos = new VideoService(ctx);

  routes.addDownload({
    path: '/api/v1/videos/:id/file',
    summary: 'The stored upload, as uploaded (range requests)',
    description:
      'Streams the uploaded file with `Accept-Ranges: bytes`: a `Range` request answers 206 with that part, so a `<video>` element can seek. A browser uses `links.file` of the video resource (a short-lived signed URL), since a media element cannot send the Authorization header.',
    tags: ['media'],
    auth: true,
    media: true,
    params: videoIdParamsSchema,
    response: { description: 'The file.', contentTypes: storedVideoContentTypes, ranges: true, headers: { 'Accept-Ranges': 'bytes', ETag: 'Validator for If-None-Match and If-Range.' } },
    errors: { 404: `${notFound} Or the stored file is gone.` },
    handler: async ({ user, params }, { req, res }) => {
      const record = await videos.getOwned(user.id, params.id);
      await sendStoredFile(ctx, req, res, record.file, contentTypeOf(record.file), 'The stored file of this video is gone.');
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/videos/:id/media-urls',
    summary: 'Short-lived signed URLs of media for <video> and <img>',
    description: `Each URL opens one resource of this video without the Authorization header, for MEDIA_URL_TTL_SECONDS (${ctx.config.mediaUrls.ttlSeconds} s here). The video resource's \`links.file\` is one already.`,
    tags: ['media'],
    auth: true,
    params: videoIdParamsSchema,
    body: mediaUrlsRequestSchema,
    response: { status: 200, description: 'One signed URL per resource, in order.', schema: z.object({ items: z.array(signedUrlSchema) }).openapi('SignedMediaUrls') },
    errors: { 404: notFound },
    handler: async ({ user, params, body }) => {
      const record = await videos.getOwned(user.id, params.id);
      const base = ctx.config.api.publicBaseUrl?.replace(/\/$/, '') ?? '';
      return { body: { items: body.resources.map((resource) => ({ resource, ...ctx.mediaUrls.sign(record.owner_id, record.id, resource, base) })) } };
    },
  });
}
