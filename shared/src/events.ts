import { VideoStatus } from './video-record.js';

/**
 * Every event type, in one place: what it announces, whether webhook endpoints can subscribe to it,
 * and whether a video's event stream ends with it. Each is sent as a Server-Sent Event; the
 * subscribable ones also to webhooks. Adding a type is a line here (the API's schemas, the OpenAPI
 * document and the docs' list follow), plus `EventLog.publish` where the thing happens, e.g.
 *   'analysis.completed': { webhook: true, endsVideoStream: false, description: 'An analysis finished; `data` is the analysis.' },
 */
export const eventTypes = {
  'video.queued': { webhook: false, endsVideoStream: false, description: 'Accepted, or queued again by a retry; `data` is the video resource.' },
  'video.processing': { webhook: false, endsVideoStream: false, description: 'Planned; the detectors start. `data` is the video resource.' },
  'video.progress': { webhook: false, endsVideoStream: false, description: 'More frames analysed; `data` is `{id, status, client_tag, progress}`.' },
  'video.completed': { webhook: true, endsVideoStream: true, description: 'Every frame analysed; `data` is the video resource, summary included.' },
  'video.failed': { webhook: true, endsVideoStream: true, description: 'Processing failed for good; `data` is the video resource, `error` included.' },
  'video.cancelled': { webhook: true, endsVideoStream: true, description: 'Cancelled (or deleted) before it ended; `data` is the video resource.' },
  'render.completed': { webhook: true, endsVideoStream: false, description: 'An annotated video is ready; `data` is the render (`links.file` is the MP4).' },
  'render.failed': { webhook: true, endsVideoStream: false, description: 'A render failed for good; `data` is the render, `error` included.' },
} as const satisfies Record<string, { webhook: boolean; endsVideoStream: boolean; description: string }>;

type EventTypes = typeof eventTypes;
export type EventType = keyof EventTypes;
export type WebhookEventType = { [T in EventType]: EventTypes[T]['webhook'] extends true ? T : never }[EventType];

export const allEventTypes = Object.keys(eventTypes) as [EventType, ...EventType[]];
export const webhookEventTypes = allEventTypes.filter((t) => eventTypes[t].webhook) as [WebhookEventType, ...WebhookEventType[]];

export const isWebhookEventType = (type: string): type is WebhookEventType => (webhookEventTypes as string[]).includes(type);
export const endsVideoStream = (type: string): boolean => type in eventTypes && eventTypes[type as EventType].endsVideoStream;

/** The event that announces a video in `status`. */
export function statusEventType(status: VideoStatus): EventType {
  switch (status) {
    case VideoStatus.Queued:
      return 'video.queued';
    case VideoStatus.Processing:
      return 'video.processing';
    case VideoStatus.Completed:
      return 'video.completed';
    case VideoStatus.Failed:
      return 'video.failed';
    case VideoStatus.Cancelled:
      return 'video.cancelled';
  }
}

/** Sent to a webhook endpoint by the "send test event" call; never published to a stream. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** One entry of a user's event stream. `id` is the Redis stream id: what `Last-Event-ID` names. */
export interface StoredEvent {
  id: string;
  type: string;
  videoId: string | null;
  clientTag: string | null;
  /** The event's `data`, as JSON text. */
  data: string;
}

/** A Redis stream id (`<ms>-<seq>`), as a client may send it back in Last-Event-ID. */
export const streamIdPattern = /^\d{1,16}-\d{1,10}$/;

/** Orders two stream ids (negative when `a` is older). */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** When an event was published: the milliseconds of its stream id. */
export function streamIdTime(id: string): string {
  return new Date(Number(id.split('-')[0])).toISOString();
}

/**
 * The body of a webhook and the `data:` of a Server-Sent Event: the Standard Webhooks payload
 * shape `{type, timestamp, data}`. Built from the stored JSON so the resource is not parsed again.
 */
export function eventEnvelope(type: string, timestamp: string, dataJson: string): string {
  return `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(timestamp)},"data":${dataJson}}`;
}

/** Fields of an XRANGE/XREAD entry as a map. */
export function streamFields(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return map;
}

export function toStoredEvent([id, fields]: [string, string[]]): StoredEvent {
  const f = streamFields(fields);
  return { id, type: f.get('type') ?? '', videoId: f.get('video_id') || null, clientTag: f.get('client_tag') || null, data: f.get('data') ?? 'null' };
}
