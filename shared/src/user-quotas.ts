import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { VideoStatus } from './video-record.js';
import type { VideoStore } from './video-store.js';

/** Per-user limits (USER_MAX_ACTIVE_VIDEOS, USER_MAX_STORED_BYTES); 0 = no limit. */
export interface UserLimits {
  /** Videos queued or processing at once. */
  activeVideos: number;
  /** Bytes of stored uploads. */
  storedBytes: number;
}

export interface UserUsage {
  activeVideos: number;
  storedBytes: number;
}

/** Why a reservation was refused. */
export type QuotaRefusal = 'too_many_active_videos' | 'storage_quota_exceeded';

/**
 * KEYS[1] the user's active set, KEYS[2] their usage hash; ARGV[1] video id, ARGV[2] bytes,
 * ARGV[3] most active videos (0: none), ARGV[4] most stored bytes (0: none).
 * -1 too many active, -2 over the bytes, 1 reserved (the video counted in both).
 */
const reserveScript = `
local maxActive = tonumber(ARGV[3])
if maxActive > 0 and redis.call('sismember', KEYS[1], ARGV[1]) == 0 and redis.call('scard', KEYS[1]) >= maxActive then return -1 end
local bytes = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[4])
local stored = tonumber(redis.call('hget', KEYS[2], 'stored_bytes') or '0')
if maxBytes > 0 and bytes > 0 and stored + bytes > maxBytes then return -2 end
redis.call('sadd', KEYS[1], ARGV[1])
if bytes > 0 then redis.call('hincrby', KEYS[2], 'stored_bytes', bytes) end
return 1`;

/**
 * What each user holds against their limits, kept as counters so a check is O(1): the set of
 * their queued and processing videos (VideoStore.finish takes a video out) and the bytes of their
 * stored uploads (VideoStore.delete gives them back). A reservation checks and counts in one
 * script, so two uploads at once cannot both take the last place. A video left in the set by a
 * crash between its end and the set's update is dropped the next time the user is at the limit.
 */
export class UserQuotas {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly videos: VideoStore,
    readonly limits: UserLimits,
  ) {}

  /** Current usage; at the active limit, videos that have ended are pruned first. */
  async usage(ownerId: string): Promise<UserUsage> {
    await this.ensureStoredBytes(ownerId);
    let active = await this.redis.scard(this.keys.userActiveVideos(ownerId));
    if (this.limits.activeVideos > 0 && active >= this.limits.activeVideos) active = await this.prune(ownerId);
    const stored = Number((await this.redis.hget(this.keys.userUsage(ownerId), 'stored_bytes')) ?? 0);
    return { activeVideos: active, storedBytes: stored };
  }

  /**
   * Counts a video against the limits: an active place and `bytes` of storage (0 for a retry, whose
   * file is already counted). Null when reserved, else the limit it would break.
   */
  async reserve(ownerId: string, videoId: string, bytes: number): Promise<QuotaRefusal | null> {
    await this.ensureStoredBytes(ownerId);
    for (let attempt = 0; ; attempt++) {
      const keys = [this.keys.userActiveVideos(ownerId), this.keys.userUsage(ownerId)];
      const result = (await this.redis.eval(reserveScript, 2, ...keys, videoId, String(bytes), String(this.limits.activeVideos), String(this.limits.storedBytes))) as number;
      if (result === 1) return null;
      if (result === -2) return 'storage_quota_exceeded';
      // Maybe held by videos that ended without leaving the set: prune once and try again.
      if (attempt > 0 || (await this.prune(ownerId)) >= this.limits.activeVideos) return 'too_many_active_videos';
    }
  }

  /** Undoes a reservation whose video was never created. */
  async release(ownerId: string, videoId: string, bytes: number): Promise<void> {
    const multi = this.redis.multi().srem(this.keys.userActiveVideos(ownerId), videoId);
    if (bytes > 0) multi.hincrby(this.keys.userUsage(ownerId), 'stored_bytes', -bytes);
    await multi.exec();
  }

  /** Drops videos that are no longer queued or processing from the active set; returns what is left. */
  private async prune(ownerId: string): Promise<number> {
    const key = this.keys.userActiveVideos(ownerId);
    const ids = await this.redis.smembers(key);
    const records = await this.videos.getMany(ids);
    const ended = ids.filter((_, i) => {
      const status = records[i]?.status;
      return status !== VideoStatus.Queued && status !== VideoStatus.Processing;
    });
    if (ended.length > 0) await this.redis.srem(key, ...ended);
    return ids.length - ended.length;
  }

  /** Users from before the limits existed: their stored bytes are added up once from their videos. */
  private async ensureStoredBytes(ownerId: string): Promise<void> {
    const key = this.keys.userUsage(ownerId);
    if (await this.redis.hexists(key, 'stored_bytes')) return;
    const { ids } = await this.videos.listIds(ownerId, 0, Number.MAX_SAFE_INTEGER);
    const total = (await this.videos.getMany(ids)).reduce((sum, r) => sum + (r?.size_bytes ?? 0), 0);
    await this.redis.hsetnx(key, 'stored_bytes', total);
  }
}
