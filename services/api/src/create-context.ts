import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import {
  ConfigError,
  createRedis,
  queueOptions,
  QueueName,
  redisKeys,
  VideoStorage,
  VideoStore,
  type Config,
  type Logger,
} from '@video-detect/shared';
import { TokenService } from './auth/token-service.js';
import { UserStore } from './auth/user-store.js';
import type { AppContext } from './context.js';

/** JWT_SECRET is mandatory in production; elsewhere a random one per process keeps development friction-free. */
export function resolveJwtSecret(config: Config, logger: Logger): string {
  const secret = config.auth.jwtSecret;
  if (secret) {
    if (config.env === 'production' && secret.length < 32) throw new ConfigError(['JWT_SECRET: must be at least 32 characters in production']);
    return secret;
  }
  if (config.env === 'production') throw new ConfigError(['JWT_SECRET: required when NODE_ENV=production (e.g. `openssl rand -hex 32`)']);
  logger.warn('JWT_SECRET is not set: using a random secret, so tokens stop working when this process restarts');
  return randomBytes(32).toString('hex');
}

export async function createContext(config: Config, logger: Logger): Promise<{ ctx: AppContext; jwtSecret: string }> {
  const jwtSecret = resolveJwtSecret(config, logger);
  const redis = createRedis(config.redis.url, 'request');
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const keys = redisKeys(config.redis.prefix);
  const storage = new VideoStorage(config.storage.dir);
  await storage.ensure();
  const options = { ...queueOptions(config, redis), skipWaitingForReady: true };
  const queues = { processor: new Queue(QueueName.Processor, options), detector: new Queue(QueueName.Detector, options) };
  queues.processor.on('error', (err) => logger.warn({ err: err.message }, 'processor queue error'));
  queues.detector.on('error', (err) => logger.warn({ err: err.message }, 'detector queue error'));
  const ctx: AppContext = {
    config,
    logger,
    redis,
    keys,
    storage,
    queues,
    users: new UserStore(redis, keys),
    tokens: new TokenService(redis, keys, jwtSecret, config.auth.accessTtlSeconds, config.auth.refreshTtlSeconds),
    videos: new VideoStore(redis, keys),
    async close() {
      await Promise.allSettled([queues.processor.close(), queues.detector.close()]);
      redis.disconnect();
    },
  };
  return { ctx, jwtSecret };
}
