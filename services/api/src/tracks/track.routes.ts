import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { VideoService } from '../videos/video-service.js';
import { videoIdParamsSchema } from '../videos/video-schemas.js';
import {
  segmentListSchema,
  segmentsQuerySchema,
  timelineQuerySchema,
  timelineSchema,
  trackListSchema,
  trackParamsSchema,
  tracksQuerySchema,
  trackWithPathSchema,
  withFrameLink,
} from './track-schemas.js';
import { DEFAULT_SEGMENT_GAP, TrackService } from './track-service.js';

const notFound = 'Unknown video, or not yours.';
const notTracked = 'The video is not completed, or was uploaded with tracking off.';

export function registerTrackRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const videos = new VideoService(ctx);
  const tracks = new TrackService(ctx);
  const classSet = (classes: string[] | undefined) => (classes ? new Set(classes) : null);

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/tracks',
    summary: 'The distinct objects of a video: one confirmed track each',
    description:
      'Tracks in id order (ids count 1, 2, … in the order tracks were confirmed). `offset` counts tracks whatever the filters, as `offset` counts frames in /detections: a page with filters may hold fewer than `limit` items and still have a `next_offset`.',
    tags: ['tracks'],
    auth: true,
    params: videoIdParamsSchema,
    query: tracksQuerySchema,
    response: { status: 200, description: 'A page of tracks.', schema: trackListSchema },
    errors: { 404: notFound, 409: notTracked },
    handler: async ({ user, params, query }) => {
      const record = await videos.getOwned(user.id, params.id);
      const page = await tracks.page(record, query.offset, query.limit, { classes: classSet(query.class), minDuration: query.min_duration ?? null });
      return { body: { ...page, items: page.items.map((t) => withFrameLink(record.id, t)) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/tracks/:track_id',
    summary: 'One track with its path: every box in frame order',
    tags: ['tracks'],
    auth: true,
    params: trackParamsSchema,
    response: { status: 200, description: 'The track.', schema: trackWithPathSchema },
    errors: { 404: 'Unknown video or track, or not yours.', 409: notTracked },
    handler: async ({ user, params }) => ({ body: withFrameLink(params.id, await tracks.withPath(await videos.getOwned(user.id, params.id), params.track_id)) }),
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/segments',
    summary: 'When each class is in view: presence intervals',
    description: `Per label, the intervals in which at least one confirmed object of it is in the frame (a box counts under its track's label). Intervals apart by at most \`gap\` seconds (default ${DEFAULT_SEGMENT_GAP}) are joined. \`start\` and \`end\` are the times of the first and last frame.`,
    tags: ['tracks'],
    auth: true,
    params: videoIdParamsSchema,
    query: segmentsQuerySchema,
    response: { status: 200, description: 'The segments, by start time.', schema: segmentListSchema },
    errors: { 404: notFound, 409: notTracked },
    handler: async ({ user, params, query }) => {
      const record = await videos.getOwned(user.id, params.id);
      return { body: await tracks.segments(record, classSet(query.class), query.gap ?? DEFAULT_SEGMENT_GAP) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/timeline',
    summary: 'Per class and time bucket: distinct tracks and the peak number of objects in a frame',
    description: 'The data for a chart. Buckets without any object of a label are left out.',
    tags: ['tracks'],
    auth: true,
    params: videoIdParamsSchema,
    query: timelineQuerySchema,
    response: { status: 200, description: 'The timeline, by bucket then label.', schema: timelineSchema },
    errors: { 404: notFound, 409: notTracked },
    handler: async ({ user, params, query }) => {
      const record = await videos.getOwned(user.id, params.id);
      return { body: await tracks.timeline(record, query.bucket ?? 1, classSet(query.class)) };
    },
  });
}
