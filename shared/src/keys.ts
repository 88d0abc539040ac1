/**
 * Every Redis key the product writes, built in one place. All keys start with REDIS_PREFIX so
 * several deployments (or test runs) can share one Redis.
 */
export function redisKeys(prefix: string) {
  return {
    /** BullMQ's own prefix: queues live under `<prefix>:bull:<queue>:*`. */
    bullPrefix: `${prefix}:bull`,
    /** Hash: id, username, password_hash, created_at. */
    user: (userId: string) => `${prefix}:user:${userId}`,
    /** String: user id for a (lower-cased) username. */
    username: (username: string) => `${prefix}:username:${username.toLowerCase()}`,
    /** String: user id for the sha256 of a refresh token; deleted when used (rotation). */
    refreshToken: (tokenHash: string) => `${prefix}:refresh:${tokenHash}`,
    /** Sorted set: a user's video ids scored by creation time (ms). */
    userVideos: (userId: string) => `${prefix}:user:${userId}:videos`,
    /** Hash: the video record (see `video-record.ts`). */
    video: (videoId: string) => `${prefix}:video:${videoId}`,
    /** Hash: chunk index -> frames analysed so far in that chunk (progress while running). */
    videoProgress: (videoId: string) => `${prefix}:video:${videoId}:progress`,
    /** Set: indices of chunks whose results are stored. */
    videoChunksDone: (videoId: string) => `${prefix}:video:${videoId}:chunks-done`,
    /** String: JSON array of the frames of one chunk, in ascending index. */
    chunkResult: (videoId: string, chunkIndex: number) => `${prefix}:video:${videoId}:chunk:${chunkIndex}`,
    /** Stream: the user's recent events (`Last-Event-ID` replay), capped at EVENT_HISTORY_MAX_LEN. */
    userEvents: (userId: string) => `${prefix}:user:${userId}:events`,
    /** Sorted set: the video ids of a user's uploads with one `client_tag` (sha256 of the tag), by creation time. */
    userTagVideos: (userId: string, tagHash: string) => `${prefix}:user:${userId}:tag:${tagHash}:videos`,
    /** Sorted set: a user's webhook endpoint ids by creation time. */
    userWebhooks: (userId: string) => `${prefix}:user:${userId}:webhooks`,
    /** Hash: a webhook endpoint (see `webhook-store.ts`). */
    webhook: (endpointId: string) => `${prefix}:webhook:${endpointId}`,
    /** List: an endpoint's delivery attempts, newest first, capped at WEBHOOK_DELIVERY_LOG_MAX. */
    webhookDeliveries: (endpointId: string) => `${prefix}:webhook:${endpointId}:deliveries`,
    /** Stream (consumer group `dispatch`): events that webhook endpoints may subscribe to, until the processor queues their deliveries. */
    webhookOutbox: `${prefix}:webhooks:outbox`,
    /** String: the state or stored response of a request with an Idempotency-Key (sha256 of the key), per user. */
    idempotency: (userId: string, keyHash: string) => `${prefix}:idempotency:${userId}:${keyHash}`,
    /** String: JSON array of each chunk's first timestamp (s), written at planning: maps times to frames. */
    chunkTimes: (videoId: string) => `${prefix}:video:${videoId}:chunk-times`,
    /** Hash: track id -> JSON of the confirmed track (`Track`), written by the tracking job. */
    videoTracks: (videoId: string) => `${prefix}:video:${videoId}:tracks`,
    /** Hash: analysis id -> JSON of the analysis (`AnalysisRecord`). */
    videoAnalyses: (videoId: string) => `${prefix}:video:${videoId}:analyses`,
    /** Hash: owner id -> virtual time after the owner's last queued chunk (`fair-priorities.ts`); reset when no chunk waits. */
    fairTurns: `${prefix}:sched:detector`,
    /** Set: ids of the user's queued and processing videos (USER_MAX_ACTIVE_VIDEOS). */
    userActiveVideos: (userId: string) => `${prefix}:user:${userId}:active`,
    /** Hash: `stored_bytes`, the sizes of the user's stored uploads (USER_MAX_STORED_BYTES). */
    userUsage: (userId: string) => `${prefix}:user:${userId}:usage`,
    /** Hash: render id -> JSON of the render (`RenderRecord`). */
    videoRenders: (videoId: string) => `${prefix}:video:${videoId}:renders`,
    /** Prefix for express-rate-limit's counters. */
    rateLimit: `${prefix}:ratelimit:`,
    /** Every key of one video, for deletion and expiry. */
    videoKeys(videoId: string, chunksTotal: number): string[] {
      const keys = [this.video(videoId), this.videoProgress(videoId), this.videoChunksDone(videoId), this.chunkTimes(videoId), this.videoTracks(videoId), this.videoAnalyses(videoId), this.videoRenders(videoId)];
      for (let i = 0; i < chunksTotal; i++) keys.push(this.chunkResult(videoId, i));
      return keys;
    },
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
