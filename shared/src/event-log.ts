import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { isWebhookEventType, toStoredEvent, type EventType, type StoredEvent } from './events.js';
import { redisKeys, type RedisKeys } from './keys.js';

/**
 * Lua for scripts that change state and announce it in one atomic step (so no event is lost or
 * announced for a change that did not happen). Appends the event to the owner's capped stream and,
 * when webhook endpoints can subscribe to its type and the owner has any, to the webhook outbox,
 * which the processor drains into deliveries. A script that embeds it takes KEYS[1..3] and
 * ARGV[1..7] as below and its own keys and arguments after them.
 *   KEYS[1] owner's event stream, KEYS[2] webhook outbox, KEYS[3] owner's endpoint index
 *   ARGV[1] history cap, ARGV[2] owner id, ARGV[3] type, ARGV[4] video id, ARGV[5] client tag,
 *   ARGV[6] data (JSON; a script may pass its own), ARGV[7] '1' when endpoints may subscribe to the type
 */
export const PUBLISH_LUA = `
local function publish(data)
  data = data or ARGV[6]
  local id = redis.call('xadd', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[3], 'video_id', ARGV[4], 'client_tag', ARGV[5], 'data', data)
  if ARGV[7] == '1' and redis.call('zcard', KEYS[3]) > 0 then
    redis.call('xadd', KEYS[2], '*', 'owner', ARGV[2], 'type', ARGV[3], 'data', data, 'event', id)
  end
  return id
end
`;

/** How many KEYS and ARGV `PUBLISH_LUA` takes before a script's own. */
export const PUBLISH_KEYS = 3;
export const PUBLISH_ARGS = 7;

export interface NewEvent {
  ownerId: string;
  type: EventType;
  /** The video it is about (a video's own event stream filters on it); null for events of no video. */
  videoId: string | null;
  clientTag: string | null;
  /** The event's `data`: serialised here, or computed by the script that embeds PUBLISH_LUA (null). */
  data: unknown;
}

/** Each user's recent events (a capped Redis stream, so every API replica serves the same history) and the webhook outbox. */
export class EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** EVENT_HISTORY_MAX_LEN: events kept per user (approximately: Redis trims whole nodes). */
    private readonly historyMaxLen: number,
  ) {}

  static open(config: Config, redis: Redis): EventLog {
    return new EventLog(redis, redisKeys(config.redis.prefix), config.events.historyMaxLen);
  }

  /** KEYS and ARGV of PUBLISH_LUA for this event. */
  scriptArgs(event: NewEvent): { keys: string[]; args: string[] } {
    return {
      keys: [this.keys.userEvents(event.ownerId), this.keys.webhookOutbox, this.keys.userWebhooks(event.ownerId)],
      args: [
        String(this.historyMaxLen),
        event.ownerId,
        event.type,
        event.videoId ?? '',
        event.clientTag ?? '',
        event.data === null ? '' : JSON.stringify(event.data),
        isWebhookEventType(event.type) ? '1' : '0',
      ],
    };
  }

  /** Publishes an event that no state change goes with (or whose change is already stored); returns its id. */
  async publish(event: NewEvent): Promise<string> {
    const { keys, args } = this.scriptArgs(event);
    return (await this.redis.eval(`${PUBLISH_LUA}\nreturn publish()`, keys.length, ...keys, ...args)) as string;
  }

  /** The owner's events after `cursor` (exclusive), oldest first. */
  async after(ownerId: string, cursor: string, count: number): Promise<StoredEvent[]> {
    const entries = (await this.redis.xrange(this.keys.userEvents(ownerId), `(${cursor}`, '+', 'COUNT', count)) as Array<[string, string[]]>;
    return entries.map(toStoredEvent);
  }

  /** Id of the owner's newest event; `0-0` when there is none (every later event comes after it). */
  async lastId(ownerId: string): Promise<string> {
    const [last] = (await this.redis.xrevrange(this.keys.userEvents(ownerId), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    return last?.[0] ?? '0-0';
  }

  /** Id of the oldest event still kept, or null: a Last-Event-ID before it means events were trimmed away. */
  async firstId(ownerId: string): Promise<string | null> {
    const [first] = (await this.redis.xrange(this.keys.userEvents(ownerId), '-', '+', 'COUNT', 1)) as Array<[string, string[]]>;
    return first?.[0] ?? null;
  }
}
