import { Redis, type RedisOptions } from 'ioredis';

/**
 * `worker` connections block on BRPOPLPUSH-style commands, so BullMQ needs them to retry forever
 * (`maxRetriesPerRequest: null`). `request` connections serve HTTP: they fail fast so that the
 * API can answer 503 instead of hanging while Redis is away.
 */
export type RedisRole = 'worker' | 'request';

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : {
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(times * 200, 2000),
        };
  return new Redis(url, { ...options, ...extra });
}

/** HGETALL of several keys in one round trip (a missing key reads as `{}`). */
export async function readHashes(redis: Redis, keys: string[]): Promise<Array<Record<string, string>>> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  return ((await pipeline.exec()) ?? []).map(([err, hash]) => {
    if (err) throw err;
    return hash as Record<string, string>;
  });
}
