import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { EventLog, PUBLISH_LUA, type NewEvent } from './event-log.js';
import { statusEventType } from './events.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { readHashes } from './redis.js';
import { fromVideoHash, toVideoHash, VideoStatus, type ErrorInfo, type ModelInfo, type Summary, type VideoRecord } from './video-record.js';
import { toVideoResource } from './video-resource.js';
import { progressScript, requeueScript, saveChunkScript, setWhileProcessingScript, transitionScript, updateIfScript } from './video-scripts.js';

/** Index key part for a client_tag: its hash, so any text makes a well-formed key. */
export const clientTagHash = (tag: string) => createHash('sha256').update(tag).digest('hex').slice(0, 32);

/** KEYS[1] the owner's video index, KEYS[2] their usage hash; ARGV[1] video id, ARGV[2] its bytes. */
const forgetVideoScript = `
if redis.call('zrem', KEYS[1], ARGV[1]) == 1 and redis.call('hexists', KEYS[2], 'stored_bytes') == 1 then
  redis.call('hincrby', KEYS[2], 'stored_bytes', -tonumber(ARGV[2]))
end
return 1`;

/** Told of each video `finish` ended: the record as it was, how it ended, and when. */
export type FinishListener = (record: VideoRecord, outcome: VideoOutcome, completedAt: Date) => void;

export type UpdateOutcome = 'updated' | 'missing' | 'wrong_status';

/** How a video ends: what `finish` records. */
export type VideoOutcome =
  | { status: typeof VideoStatus.Completed; summary: Summary }
  | { status: typeof VideoStatus.Failed; error: ErrorInfo }
  | { status: typeof VideoStatus.Cancelled };

/**
 * Every read and write of a video's Redis keys: its record, progress and chunk results (the
 * uploaded file is `UploadStorage`'s). Each change clients watch (accepted, started, progress, the
 * end, a retry) is announced on the owner's event stream in the same atomic step.
 */
export class VideoStore {
  readonly events: EventLog;
  private readonly finishListeners: FinishListener[] = [];

  /**
   * @param retentionSeconds RESULT_TTL_SECONDS: how long a finished video's keys are kept; 0 = until deleted.
   * @param historyMaxLen EVENT_HISTORY_MAX_LEN: events kept per user.
   */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retentionSeconds = 0,
    historyMaxLen = 1000,
  ) {
    this.events = new EventLog(redis, keys, historyMaxLen);
  }

  /** The store as every service opens it: the configured prefix, retention and event history. */
  static open(config: Config, redis: Redis): VideoStore {
    return new VideoStore(redis, redisKeys(config.redis.prefix), config.jobs.resultTtlSeconds, config.events.historyMaxLen);
  }

  /** Called after each `finish` that ended a video (metrics); a listener must not throw. */
  onFinish(listener: FinishListener): void {
    this.finishListeners.push(listener);
  }

  /** Stores a new (queued) record in the owner's indexes and announces `video.queued`. */
  async create(record: VideoRecord): Promise<void> {
    const { keys, args } = this.events.scriptArgs(this.statusEvent(record, { framesDone: 0, chunksDone: 0 }));
    const created = Date.parse(record.created_at);
    const multi = this.redis
      .multi()
      .hset(this.keys.video(record.id), toVideoHash(record))
      .zadd(this.keys.userVideos(record.owner_id), created, record.id);
    if (record.client_tag) multi.zadd(this.keys.userTagVideos(record.owner_id, clientTagHash(record.client_tag)), created, record.id);
    await multi.eval(`${PUBLISH_LUA}\nreturn publish()`, keys.length, ...keys, ...args).exec();
  }

  async get(videoId: string): Promise<VideoRecord | null> {
    return fromVideoHash(await this.redis.hgetall(this.keys.video(videoId)));
  }

  async getStatus(videoId: string): Promise<VideoStatus | null> {
    return ((await this.redis.hget(this.keys.video(videoId), 'status')) as VideoStatus | null) ?? null;
  }

  /**
   * Updates fields of an existing record, optionally only from the given statuses (a guarded
   * transition). Announces nothing: status changes clients see go through `startProcessing`,
   * `finish` and `requeue`.
   */
  async update(videoId: string, fields: Partial<VideoRecord>, onlyFrom: VideoStatus[] = []): Promise<UpdateOutcome> {
    const args = [onlyFrom.join(','), ...Object.entries(toVideoHash(fields)).flat()];
    const result = (await this.redis.eval(updateIfScript, 1, this.keys.video(videoId), ...args)) as number;
    return toOutcome(result);
  }

  /** Moves a queued (or re-planned) video to processing with its plan, and announces `video.processing`. */
  async startProcessing(record: VideoRecord, plan: Partial<VideoRecord>): Promise<UpdateOutcome> {
    const next = { ...record, ...plan, status: VideoStatus.Processing };
    const event = this.statusEvent(next, await this.getProgress(record.id));
    return this.transition(record.id, { ...plan, status: VideoStatus.Processing }, [VideoStatus.Queued, VideoStatus.Processing], event);
  }

  /** Ids of a user's videos (those with `clientTag` only, when given), newest first. */
  async listIds(ownerId: string, offset: number, limit: number, clientTag?: string): Promise<{ ids: string[]; total: number }> {
    const key = this.indexKey(ownerId, clientTag);
    const [ids, total] = await Promise.all([this.redis.zrevrange(key, offset, offset + limit - 1), this.redis.zcard(key)]);
    return { ids, total };
  }

  async getMany(videoIds: string[]): Promise<Array<VideoRecord | null>> {
    return (await readHashes(this.redis, videoIds.map((id) => this.keys.video(id)))).map(fromVideoHash);
  }

  /** Drops an index entry whose record expired (RESULT_TTL_SECONDS). */
  async forgetIndexEntry(ownerId: string, videoId: string, clientTag?: string): Promise<void> {
    await this.redis.zrem(this.indexKey(ownerId, clientTag), videoId);
  }

  async delete(record: VideoRecord): Promise<void> {
    const k = this.keys;
    const multi = this.redis
      .multi()
      .del(...k.videoKeys(record.id, record.chunks_total ?? 0))
      .srem(k.userActiveVideos(record.owner_id), record.id)
      // Out of the index and its bytes given back to the owner's quota, once however often it is deleted.
      .eval(forgetVideoScript, 2, k.userVideos(record.owner_id), k.userUsage(record.owner_id), record.id, String(record.size_bytes));
    if (record.client_tag) multi.zrem(this.keys.userTagVideos(record.owner_id, clientTagHash(record.client_tag)), record.id);
    await multi.exec();
  }

  /**
   * Ends a queued or processing video, the one way every terminal path takes: final status,
   * `completed_at`, its summary or error, announced (`video.completed`, `.failed`, `.cancelled`,
   * carrying the resource, and handed to the webhook outbox), then the retention TTL on all its
   * keys. False when the video had already ended (the first outcome stands) or is gone.
   */
  async finish(videoId: string, outcome: VideoOutcome): Promise<boolean> {
    const record = await this.get(videoId);
    if (!record || (record.status !== VideoStatus.Queued && record.status !== VideoStatus.Processing)) return false;
    const completedAt = new Date();
    const fields: Partial<VideoRecord> = { ...outcome, completed_at: completedAt.toISOString() };
    const event = this.statusEvent({ ...record, ...fields }, await this.getProgress(videoId));
    if ((await this.transition(videoId, fields, [VideoStatus.Queued, VideoStatus.Processing], event)) !== 'updated') return false;
    if (this.retentionSeconds > 0) {
      const pipeline = this.redis.pipeline();
      for (const key of this.keys.videoKeys(record.id, record.chunks_total ?? 0)) pipeline.expire(key, this.retentionSeconds);
      await pipeline.exec();
    }
    // Its place among the owner's active videos (USER_MAX_ACTIVE_VIDEOS) is free again.
    await this.redis.srem(this.keys.userActiveVideos(record.owner_id), videoId);
    for (const listener of this.finishListeners) listener(record, outcome, completedAt);
    return true;
  }

  /**
   * Queues a failed or cancelled video again, keeping the results stored so far (the planner
   * re-cuts the same chunks and only the missing ones run), announced as `video.queued`. Results
   * cut another way (records from before even chunks) are dropped and the video runs whole.
   * False when the video is not failed or cancelled (any more).
   */
  async requeue(record: VideoRecord): Promise<boolean> {
    const keepResults = record.chunk_layout === 'even';
    const fields: Partial<VideoRecord> = { status: VideoStatus.Queued, started_at: null, completed_at: null, summary: null, error: null };
    if (!keepResults) Object.assign(fields, { frames_total: null, chunks_total: null, chunk_frames: null, chunk_layout: null, model: null });
    const done = keepResults ? await this.getProgress(record.id, true) : { framesDone: 0, chunksDone: 0 };
    const event = this.events.scriptArgs(this.statusEvent({ ...record, ...fields }, done));
    const k = this.keys;
    const keys = [...event.keys, ...k.videoKeys(record.id, record.chunks_total ?? 0)];
    const args = [...event.args, keepResults ? '0' : '1', ...Object.entries(toVideoHash(fields)).flat()];
    return (await this.redis.eval(requeueScript, keys.length, ...keys, ...args)) === 1;
  }

  /**
   * Stores one chunk's frames (JSON) atomically with its done mark and the model that made them,
   * and announces the progress; false if the video is no longer processing.
   */
  async saveChunkResult(videoId: string, chunkIndex: number, frameResultsJson: string, framesAnalysed: number, model?: ModelInfo): Promise<boolean> {
    const event = await this.progressEvent(videoId);
    if (!event) return false;
    const k = this.keys;
    const keys = [...event.keys, k.video(videoId), k.chunkResult(videoId, chunkIndex), k.videoChunksDone(videoId), k.videoProgress(videoId)];
    const args = [...event.args, frameResultsJson, String(chunkIndex), String(framesAnalysed), model ? JSON.stringify(model) : ''];
    return (await this.redis.eval(saveChunkScript, keys.length, ...keys, ...args)) === 1;
  }

  /** Records frames analysed so far in a running chunk, announced; false if the video is no longer processing. */
  async setChunkProgress(videoId: string, chunkIndex: number, framesDone: number): Promise<boolean> {
    const event = await this.progressEvent(videoId);
    if (!event) return false;
    const k = this.keys;
    const keys = [...event.keys, k.video(videoId), k.videoProgress(videoId), k.videoChunksDone(videoId)];
    return (await this.redis.eval(progressScript, keys.length, ...keys, ...event.args, String(chunkIndex), String(framesDone))) === 1;
  }

  /** Frames analysed and chunks stored so far; `storedOnly`: count only the frames of chunks whose results are stored. */
  async getProgress(videoId: string, storedOnly = false): Promise<{ framesDone: number; chunksDone: number }> {
    const [perChunk, done] = await Promise.all([this.redis.hgetall(this.keys.videoProgress(videoId)), this.redis.smembers(this.keys.videoChunksDone(videoId))]);
    const counted = Object.entries(perChunk).filter(([chunk]) => !storedOnly || done.includes(chunk));
    return { framesDone: counted.reduce((sum, [, v]) => sum + Number(v), 0), chunksDone: done.length };
  }

  /** Indices of the chunks whose results are stored. */
  async chunksDone(videoId: string): Promise<Set<number>> {
    return new Set((await this.redis.smembers(this.keys.videoChunksDone(videoId))).map(Number));
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

  private indexKey(ownerId: string, clientTag?: string): string {
    return clientTag === undefined ? this.keys.userVideos(ownerId) : this.keys.userTagVideos(ownerId, clientTagHash(clientTag));
  }

  /** The event announcing `record` in its status, carrying its resource. */
  private statusEvent(record: VideoRecord, done: { framesDone: number; chunksDone: number }): NewEvent {
    return { ownerId: record.owner_id, type: statusEventType(record.status), videoId: record.id, clientTag: record.client_tag, data: toVideoResource(record, done) };
  }

  /** PUBLISH_LUA's keys and arguments for a progress event (its data is computed by the script); null when the video is gone. */
  private async progressEvent(videoId: string): Promise<{ keys: string[]; args: string[] } | null> {
    const [ownerId, clientTag] = await this.redis.hmget(this.keys.video(videoId), 'owner_id', 'client_tag');
    if (!ownerId) return null;
    return this.events.scriptArgs({ ownerId, type: 'video.progress', videoId, clientTag: clientTag || null, data: null });
  }

  private async transition(videoId: string, fields: Partial<VideoRecord>, from: VideoStatus[], event: NewEvent): Promise<UpdateOutcome> {
    const { keys, args } = this.events.scriptArgs(event);
    const all = [...args, from.join(','), ...Object.entries(toVideoHash(fields)).flat()];
    return toOutcome((await this.redis.eval(transitionScript, keys.length + 1, ...keys, this.keys.video(videoId), ...all)) as number);
  }
}

function toOutcome(result: number): UpdateOutcome {
  return result === 1 ? 'updated' : result === -1 ? 'missing' : 'wrong_status';
}
