import { randomBytes } from 'node:crypto';
import { AnalysisStore, ConfigError, createRedis, JobProducer, redisKeys, RenderStore, ServiceMetrics, TrackStore, createUploadStorage, UserQuotas, VideoStore, WebhookStore, type Config, type Logger, type UploadStorage } from '@video-detect/shared';
import { TokenService } from './auth/token-service.js';
import { UserStore } from './auth/user-store.js';
import { MediaUrls } from './media/media-urls.js';
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

/**
 * Removes uploads whose API process died mid-request (idle for UPLOAD_IDLE_SECONDS in `.incoming/`):
 * now, at start-up, and every minute (or idle period, when shorter). By age, not all at start-up,
 * since another API replica sharing the storage may be receiving uploads right now.
 */
function sweepUnfinishedUploads(uploads: UploadStorage, idleSeconds: number, logger: Logger): NodeJS.Timeout {
  const sweep = () =>
    void uploads.sweepIncoming(idleSeconds).then(
      (removed) => removed.length > 0 && logger.info({ removed }, 'removed unfinished uploads'),
      (err: unknown) => logger.warn({ err }, 'could not sweep unfinished uploads'),
    );
  sweep();
  const timer = setInterval(sweep, Math.min(60, idleSeconds) * 1000);
  timer.unref();
  return timer;
}

export async function createContext(config: Config, logger: Logger): Promise<{ ctx: AppContext; jwtSecret: string }> {
  const jwtSecret = resolveJwtSecret(config, logger);
  const redis = createRedis(config.redis.url, 'request');
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const keys = redisKeys(config.redis.prefix);
  const uploads = createUploadStorage(config);
  await uploads.ensure();
  const sweeper = sweepUnfinishedUploads(uploads, config.storage.uploadIdleSeconds, logger);
  // Requests answer 503 while Redis is away instead of waiting for it.
  const jobs = new JobProducer(config, redis, { skipWaitingForReady: true });
  jobs.onError((err) => logger.warn({ err: err.message }, 'queue error'));
  const metrics = new ServiceMetrics('api');
  const videos = VideoStore.open(config, redis);
  videos.onFinish(metrics.observeVideoFinish);
  const ctx: AppContext = {
    config,
    logger,
    redis,
    keys,
    uploads,
    jobs,
    users: new UserStore(redis, keys),
    tokens: new TokenService(redis, keys, jwtSecret, config.auth.accessTtlSeconds, config.auth.refreshTtlSeconds),
    mediaUrls: new MediaUrls(config.mediaUrls.secret, jwtSecret, config.mediaUrls.ttlSeconds),
    videos,
    quotas: new UserQuotas(redis, keys, videos, config.limits),
    metrics,
    tracks: TrackStore.open(config, redis),
    analyses: AnalysisStore.open(config, redis),
    renders: RenderStore.open(config, redis),
    webhooks: WebhookStore.open(config, redis),
    async close() {
      clearInterval(sweeper);
      await jobs.close();
      redis.disconnect();
    },
  };
  return { ctx, jwtSecret };
}
