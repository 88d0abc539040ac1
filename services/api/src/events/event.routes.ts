import { allEventTypes, eventTypes, streamIdPattern } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { clientTagQuery, videoIdParamsSchema } from '../videos/video-schemas.js';
import { VideoService } from '../videos/video-service.js';
import { EventStreams } from './event-streams.js';

const lastEventIdHeaders = z.object({
  'Last-Event-ID': z
    .string()
    .regex(streamIdPattern, 'an event id this stream sent (e.g. "1714558123456-0")')
    .optional()
    .openapi({ description: 'Resume after this event (EventSource sends it when it reconnects): the events since are sent first.' }),
});

/** The event types and what each carries, for the routes' descriptions (from the one list in shared/). */
const typeList = allEventTypes.map((type) => `- \`${type}\`: ${eventTypes[type].description}`).join('\n');
const format =
  'Each event has `id:` (pass the last one back as `Last-Event-ID` to resume), `event:` (its type) and `data:`, a JSON object `{type, timestamp, data}` (the webhook body\'s shape). ' +
  'A comment line (`: heartbeat`) comes after 15 s without events (EVENT_STREAM_HEARTBEAT_MS). Events are kept per user in Redis (the last EVENT_HISTORY_MAX_LEN, 1000 by default), so any API replica can resume any stream.';

export function registerEventRoutes(routes: ApiRoutes, ctx: AppContext): EventStreams {
  const videos = new VideoService(ctx);
  const streams = new EventStreams(ctx.videos.events, videos, ctx.config.events, ctx.logger);

  routes.addEventStream({
    path: '/api/v1/videos/:id/events',
    summary: "A video's status and progress as Server-Sent Events",
    description: `Starts with the video's current state (an event of its status), then sends its events as they happen, and ends after the final one (\`video.completed\`, \`video.failed\` or \`video.cancelled\`); a finished video's stream is its state alone. ${format}\n\nTypes:\n${typeList}`,
    tags: ['events'],
    auth: true,
    params: videoIdParamsSchema,
    headers: lastEventIdHeaders,
    response: { description: 'The event stream.' },
    errors: { 404: 'Unknown video, or not yours.' },
    handler: async ({ user, params, headers }, { req, res }) => {
      const video = await videos.getOwned(user.id, params.id);
      await streams.serve(req, res, { ownerId: user.id, lastEventId: headers['Last-Event-ID'], video });
    },
  });

  routes.addEventStream({
    path: '/api/v1/events',
    summary: 'Events of all your videos as Server-Sent Events',
    description: `Every event of your videos from now on (or after \`Last-Event-ID\`), until you disconnect. ${format}\n\nTypes:\n${typeList}`,
    tags: ['events'],
    auth: true,
    query: z.object({ client_tag: clientTagQuery.openapi({ type: 'string', description: 'Only events of videos uploaded with this `client_tag`.' }) }),
    headers: lastEventIdHeaders,
    response: { description: 'The event stream.' },
    handler: async ({ user, query, headers }, { req, res }) => {
      await streams.serve(req, res, { ownerId: user.id, lastEventId: headers['Last-Event-ID'], ...(query.client_tag ? { clientTag: query.client_tag } : {}) });
    },
  });

  return streams;
}
