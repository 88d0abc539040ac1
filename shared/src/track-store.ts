import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { trackSchema, type Track } from './tracking.js';

/** HSETs ARGV pairs on KEYS[2] only while the video (KEYS[1]) is processing. */
const saveWhileProcessingScript = `
if redis.call('hget', KEYS[1], 'status') ~= 'processing' then return 0 end
redis.call('hset', KEYS[2], unpack(ARGV))
return 1`;

/** A video's confirmed tracks (one hash field each, by id): written by the tracking job, read by the API. */
export class TrackStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  static open(config: Config, redis: Redis): TrackStore {
    return new TrackStore(redis, redisKeys(config.redis.prefix));
  }

  /** Stores tracks as they end; false once the video is no longer processing (deleted or cancelled). */
  async save(videoId: string, tracks: readonly Track[]): Promise<boolean> {
    if (tracks.length === 0) return true;
    const args = tracks.flatMap((t) => [String(t.id), JSON.stringify(t)]);
    return (await this.redis.eval(saveWhileProcessingScript, 2, this.keys.video(videoId), this.keys.videoTracks(videoId), ...args)) === 1;
  }

  /** Tracks are numbered 1..count. */
  async count(videoId: string): Promise<number> {
    return this.redis.hlen(this.keys.videoTracks(videoId));
  }

  async get(videoId: string, id: number): Promise<Track | null> {
    const json = await this.redis.hget(this.keys.videoTracks(videoId), String(id));
    return json === null ? null : trackSchema.parse(JSON.parse(json));
  }

  /** Tracks `first`..`last` (ids, inclusive) that exist, in id order. */
  async range(videoId: string, first: number, last: number): Promise<Track[]> {
    if (last < first) return [];
    const ids = Array.from({ length: last - first + 1 }, (_, i) => String(first + i));
    const found = await this.redis.hmget(this.keys.videoTracks(videoId), ...ids);
    return found.flatMap((json) => (json === null ? [] : [trackSchema.parse(JSON.parse(json))]));
  }

  /** Every track's label, by id: what segments and the timeline group by. */
  async labels(videoId: string): Promise<Map<number, string>> {
    const all = await this.redis.hgetall(this.keys.videoTracks(videoId));
    return new Map(Object.entries(all).map(([id, json]) => [Number(id), (JSON.parse(json) as Track).label]));
  }
}
