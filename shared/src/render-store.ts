import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { EventLog, PUBLISH_ARGS, PUBLISH_KEYS, PUBLISH_LUA } from './event-log.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { renderRecordSchema, RenderStatus, toRenderResource, type RenderRecord } from './render.js';

/**
 * Adds render ARGV[p+2] (JSON) as field ARGV[p+1] of the renders hash KEYS[k+2] when the video
 * KEYS[k+1] is completed, unless a render with that id is there and not failed. Returns
 * `<video status>|created`, `<status>|exists` or `<status>|` (not added: '' when the video is gone).
 */
const claimScript = `
local status = redis.call('hget', KEYS[1], 'status')
if not status then return '|' end
if status ~= 'completed' then return status .. '|' end
local existing = redis.call('hget', KEYS[2], ARGV[1])
if existing and not string.find(existing, '"status":"failed"', 1, true) then return status .. '|exists' end
redis.call('hset', KEYS[2], ARGV[1], ARGV[2])
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) end
return status .. '|created'`;

/**
 * Replaces field ARGV[p+1] of KEYS[k+1] with ARGV[p+2] only while it exists (a deleted video's
 * render stays gone), and announces ARGV[p+3] = '1' with the PUBLISH_LUA event in the same step.
 */
const replaceScript = `${PUBLISH_LUA}
local key, field, json, announce = KEYS[${PUBLISH_KEYS + 1}], ARGV[${PUBLISH_ARGS + 1}], ARGV[${PUBLISH_ARGS + 2}], ARGV[${PUBLISH_ARGS + 3}]
if redis.call('hexists', key, field) == 0 then return 0 end
redis.call('hset', key, field, json)
if announce == '1' then publish() end
return 1`;

export type RenderClaim = { outcome: 'created' | 'exists'; record: RenderRecord } | { outcome: 'not_completed'; videoStatus: string | null };

/** A video's renders: one field of one hash each, so the video's deletion and expiry take them along. */
export class RenderStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly events: EventLog,
  ) {}

  static open(config: Config, redis: Redis): RenderStore {
    return new RenderStore(redis, redisKeys(config.redis.prefix), EventLog.open(config, redis));
  }

  /** Stores a new render of a completed video, or finds the one with the same options (a failed one is replaced, to run again). */
  async claim(record: RenderRecord): Promise<RenderClaim> {
    const answer = (await this.redis.eval(claimScript, 2, this.keys.video(record.video_id), this.keys.videoRenders(record.video_id), record.id, JSON.stringify(record))) as string;
    const [videoStatus = '', outcome = ''] = answer.split('|');
    if (outcome === 'created') return { outcome, record };
    if (outcome === 'exists') return { outcome, record: (await this.get(record.video_id, record.id)) ?? record };
    return { outcome: 'not_completed', videoStatus: videoStatus || null };
  }

  async get(videoId: string, renderId: string): Promise<RenderRecord | null> {
    const json = await this.redis.hget(this.keys.videoRenders(videoId), renderId);
    return json === null ? null : renderRecordSchema.parse(JSON.parse(json));
  }

  /** Every render of the video, oldest first. */
  async list(videoId: string): Promise<RenderRecord[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.videoRenders(videoId)));
    return all.map((json) => renderRecordSchema.parse(JSON.parse(json))).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /**
   * Writes the render back (progress, the end); false when it is gone (its video was deleted). A
   * completed or failed render is announced (`render.completed`, `render.failed`) to `owner` in the same step.
   */
  async replace(record: RenderRecord, owner: { id: string; clientTag: string | null }): Promise<boolean> {
    const ended = record.status === RenderStatus.Completed || record.status === RenderStatus.Failed;
    const type = record.status === RenderStatus.Failed ? 'render.failed' : 'render.completed';
    const { keys, args } = this.events.scriptArgs({ ownerId: owner.id, type, videoId: record.video_id, clientTag: owner.clientTag, data: toRenderResource(record) });
    const result = await this.redis.eval(replaceScript, keys.length + 1, ...keys, this.keys.videoRenders(record.video_id), ...args, record.id, JSON.stringify(record), ended ? '1' : '0');
    return result === 1;
  }
}
