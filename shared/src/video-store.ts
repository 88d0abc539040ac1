import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { fromVideoHash, toVideoHash, VideoStatus, type ErrorInfo, type ModelInfo, type Summary, type VideoRecord } from './video-record.js';

/** HSETs ARGV pairs on KEYS[1] only while the hash exists and its status is one of ARGV[1] (comma list, "" = any). */
const updateIfScript = `
if redis.call('exists', KEYS[1]) == 0 then return -1 end
if ARGV[1] ~= '' then
  local status = redis.call('hget', KEYS[1], 'status')
  local ok = false
  for s in string.gmatch(ARGV[1], '[^,]+') do if s == status then ok = true end end
  if not ok then return 0 end
end
for i = 2, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

/** Stores a chunk's frames and marks it done (and names the model), only while the video is still processing. */
const saveChunkScript = `
if redis.call('hget', KEYS[1], 'status') ~= 'processing' then return 0 end
redis.call('set', KEYS[2], ARGV[1])
redis.call('sadd', KEYS[3], ARGV[2])
redis.call('hset', KEYS[4], ARGV[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('hset', KEYS[1], 'model', ARGV[4]) end
return 1`;

/** SETs KEYS[2] to ARGV[1] only while the video (KEYS[1]) is processing: a deleted or ended video never gets keys back. */
const setWhileProcessingScript = `
if redis.call('hget', KEYS[1], 'status') ~= 'processing' then return 0 end
redis.call('set', KEYS[2], ARGV[1])
return 1`;

/** Progress inside a running chunk; ignored once the video is gone or no longer processing. */
const progressScript = `
if redis.call('hget', KEYS[1], 'status') ~= 'processing' then return 0 end
redis.call('hset', KEYS[2], ARGV[1], ARGV[2])
return 1`;

export type UpdateOutcome = 'updated' | 'missing' | 'wrong_status';

/** How a video ends: what `finish` records. */
export type VideoOutcome =
  | { status: typeof VideoStatus.Completed; summary: Summary }
  | { status: typeof VideoStatus.Failed; error: ErrorInfo }
  | { status: typeof VideoStatus.Cancelled };

/** Every read and write of a video's Redis keys: its record, progress and chunk results (the uploaded file is `UploadStorage`'s). */
export class VideoStore {
  /** @param retentionSeconds RESULT_TTL_SECONDS: how long a finished video's keys are kept; 0 = until deleted. */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retentionSeconds = 0,
  ) {}

  /** The store as every service opens it: the configured prefix and retention. */
  static open(config: Config, redis: Redis): VideoStore {
    return new VideoStore(redis, redisKeys(config.redis.prefix), config.jobs.resultTtlSeconds);
  }

  async create(record: VideoRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.video(record.id), toVideoHash(record))
      .zadd(this.keys.userVideos(record.owner_id), Date.parse(record.created_at), record.id)
      .exec();
  }

  async get(videoId: string): Promise<VideoRecord | null> {
    return fromVideoHash(await this.redis.hgetall(this.keys.video(videoId)));
  }

  async getStatus(videoId: string): Promise<VideoStatus | null> {
    return ((await this.redis.hget(this.keys.video(videoId), 'status')) as VideoStatus | null) ?? null;
  }

  /** Updates fields of an existing record, optionally only from the given statuses (a guarded transition). */
  async update(videoId: string, fields: Partial<VideoRecord>, onlyFrom: VideoStatus[] = []): Promise<UpdateOutcome> {
    const args = [onlyFrom.join(','), ...Object.entries(toVideoHash(fields)).flat()];
    const result = (await this.redis.eval(updateIfScript, 1, this.keys.video(videoId), ...args)) as number;
    return result === 1 ? 'updated' : result === -1 ? 'missing' : 'wrong_status';
  }

  /** Ids of a user's videos, newest first. */
  async listIds(ownerId: string, offset: number, limit: number): Promise<{ ids: string[]; total: number }> {
    const key = this.keys.userVideos(ownerId);
    const [ids, total] = await Promise.all([this.redis.zrevrange(key, offset, offset + limit - 1), this.redis.zcard(key)]);
    return { ids, total };
  }

  async getMany(videoIds: string[]): Promise<Array<VideoRecord | null>> {
    if (videoIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of videoIds) pipeline.hgetall(this.keys.video(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, hash]) => {
      if (err) throw err;
      return fromVideoHash(hash as Record<string, string>);
    });
  }

  /** Drops an index entry whose record expired (RESULT_TTL_SECONDS). */
  async forgetIndexEntry(ownerId: string, videoId: string): Promise<void> {
    await this.redis.zrem(this.keys.userVideos(ownerId), videoId);
  }

  async delete(record: VideoRecord): Promise<void> {
    await this.redis
      .multi()
      .del(...this.keys.videoKeys(record.id, record.chunks_total ?? 0))
      .zrem(this.keys.userVideos(record.owner_id), record.id)
      .exec();
  }

  /**
   * Ends a queued or processing video, the one way every terminal path takes: final status,
   * `completed_at`, its summary or error, then the retention TTL on all its keys. False when the
   * video had already ended (the first outcome stands) or is gone.
   */
  async finish(videoId: string, outcome: VideoOutcome): Promise<boolean> {
    const fields: Partial<VideoRecord> = { ...outcome, completed_at: new Date().toISOString() };
    if ((await this.update(videoId, fields, [VideoStatus.Queued, VideoStatus.Processing])) !== 'updated') return false;
    const record = this.retentionSeconds > 0 ? await this.get(videoId) : null;
    if (record) {
      const pipeline = this.redis.pipeline();
      for (const key of this.keys.videoKeys(record.id, record.chunks_total ?? 0)) pipeline.expire(key, this.retentionSeconds);
      await pipeline.exec();
    }
    return true;
  }

  /**
   * Stores one chunk's frames (JSON) atomically with its done mark and the model that made them;
   * false if the video is no longer processing.
   */
  async saveChunkResult(videoId: string, chunkIndex: number, frameResultsJson: string, framesAnalysed: number, model?: ModelInfo): Promise<boolean> {
    const k = this.keys;
    const result = await this.redis.eval(
      saveChunkScript,
      4,
      k.video(videoId),
      k.chunkResult(videoId, chunkIndex),
      k.videoChunksDone(videoId),
      k.videoProgress(videoId),
      frameResultsJson,
      String(chunkIndex),
      String(framesAnalysed),
      model ? JSON.stringify(model) : '',
    );
    return result === 1;
  }

  /** Records frames analysed so far in a running chunk; false if the video is no longer processing. */
  async setChunkProgress(videoId: string, chunkIndex: number, framesDone: number): Promise<boolean> {
    const k = this.keys;
    const result = await this.redis.eval(progressScript, 2, k.video(videoId), k.videoProgress(videoId), String(chunkIndex), String(framesDone));
    return result === 1;
  }

  async getProgress(videoId: string): Promise<{ framesDone: number; chunksDone: number }> {
    const [perChunk, chunksDone] = await Promise.all([
      this.redis.hvals(this.keys.videoProgress(videoId)),
      this.redis.scard(this.keys.videoChunksDone(videoId)),
    ]);
    return { framesDone: perChunk.reduce((sum, v) => sum + Number(v), 0), chunksDone };
  }

  /** Rewrites a stored chunk (its objects with their `track_id`), only while the video is processing. */
  async saveTrackedChunk(videoId: string, chunkIndex: number, frameResultsJson: string): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.eval(setWhileProcessingScript, 2, k.video(videoId), k.chunkResult(videoId, chunkIndex), frameResultsJson)) === 1;
  }

  /** Each chunk's first timestamp, as planned (maps times to analysed frames); only while the video is processing. */
  async saveChunkTimes(videoId: string, firstTimestamps: number[]): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.eval(setWhileProcessingScript, 2, k.video(videoId), k.chunkTimes(videoId), JSON.stringify(firstTimestamps))) === 1;
  }

  /** Each chunk's first timestamp; null for videos planned before they were recorded. */
  async getChunkTimes(videoId: string): Promise<number[] | null> {
    const json = await this.redis.get(this.keys.chunkTimes(videoId));
    return json === null ? null : (JSON.parse(json) as number[]);
  }

  /** Raw JSON of the given chunks' results, null where a chunk is not stored. */
  async getChunkResults(videoId: string, chunkIndices: number[]): Promise<Array<string | null>> {
    if (chunkIndices.length === 0) return [];
    return this.redis.mget(...chunkIndices.map((i) => this.keys.chunkResult(videoId, i)));
  }
}
