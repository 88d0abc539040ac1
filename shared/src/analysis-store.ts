import type { Redis } from 'ioredis';
import { analysisRecordSchema, type AnalysisRecord } from './analysis.js';
import type { Config } from './config.js';
import { redisKeys, type RedisKeys } from './keys.js';

/**
 * Adds analysis ARGV[2] (JSON) as field ARGV[1] of the video's analyses hash (KEYS[2]) when the
 * video (KEYS[1]) exists and, if ARGV[3] names one, has that status; the hash takes the video's
 * expiry. Returns the video's status ('' when it is gone); written only when it matched.
 */
const createScript = `
local status = redis.call('hget', KEYS[1], 'status')
if not status then return '' end
if ARGV[3] ~= '' and status ~= ARGV[3] then return status end
redis.call('hset', KEYS[2], ARGV[1], ARGV[2])
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) end
return status`;

/** Replaces field ARGV[1] of KEYS[1] with ARGV[2] only while it exists (a deleted video's analysis stays gone). */
const replaceScript = `
if redis.call('hexists', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** A video's analyses (lines and zones): one field of one hash each, so the video's deletion and expiry take them along. */
export class AnalysisStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  static open(config: Config, redis: Redis): AnalysisStore {
    return new AnalysisStore(redis, redisKeys(config.redis.prefix));
  }

  /**
   * Stores a new analysis if its video exists and (with `onlyWhen`) has that status. Returns the
   * video's status (null: no such video); the analysis was stored when it matched.
   */
  async create(record: AnalysisRecord, onlyWhen: string | null): Promise<string | null> {
    const status = (await this.redis.eval(createScript, 2, this.keys.video(record.video_id), this.keys.videoAnalyses(record.video_id), record.id, JSON.stringify(record), onlyWhen ?? '')) as string;
    return status === '' ? null : status;
  }

  async get(videoId: string, analysisId: string): Promise<AnalysisRecord | null> {
    const json = await this.redis.hget(this.keys.videoAnalyses(videoId), analysisId);
    return json === null ? null : analysisRecordSchema.parse(JSON.parse(json));
  }

  /** Every analysis of the video, oldest first. */
  async list(videoId: string): Promise<AnalysisRecord[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.videoAnalyses(videoId)));
    return all.map((json) => analysisRecordSchema.parse(JSON.parse(json))).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Writes the analysis back (status, results); false when it is gone (its video was deleted). */
  async replace(record: AnalysisRecord): Promise<boolean> {
    return (await this.redis.eval(replaceScript, 1, this.keys.videoAnalyses(record.video_id), record.id, JSON.stringify(record))) === 1;
  }

  async remove(videoId: string, analysisId: string): Promise<void> {
    await this.redis.hdel(this.keys.videoAnalyses(videoId), analysisId);
  }
}
