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
    /** String: JSON array of each chunk's first timestamp (s), written at planning: maps times to frames. */
    chunkTimes: (videoId: string) => `${prefix}:video:${videoId}:chunk-times`,
    /** Hash: track id -> JSON of the confirmed track (`Track`), written by the tracking job. */
    videoTracks: (videoId: string) => `${prefix}:video:${videoId}:tracks`,
    /** Hash: analysis id -> JSON of the analysis (`AnalysisRecord`). */
    videoAnalyses: (videoId: string) => `${prefix}:video:${videoId}:analyses`,
    /** Prefix for express-rate-limit's counters. */
    rateLimit: `${prefix}:ratelimit:`,
    /** Every key of one video, for deletion and expiry. */
    videoKeys(videoId: string, chunksTotal: number): string[] {
      const keys = [this.video(videoId), this.videoProgress(videoId), this.videoChunksDone(videoId), this.chunkTimes(videoId), this.videoTracks(videoId), this.videoAnalyses(videoId)];
      for (let i = 0; i < chunksTotal; i++) keys.push(this.chunkResult(videoId, i));
      return keys;
    },
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
