import type { Redis } from 'ioredis';
import type { AnalysisStore, Config, JobProducer, Logger, RedisKeys, RenderStore, ServiceMetrics, TrackStore, UploadStorage, UserQuotas, VideoStore, WebhookStore } from '@video-detect/shared';
import type { UserStore } from './auth/user-store.js';
import type { TokenService } from './auth/token-service.js';
import type { MediaUrls } from './media/media-urls.js';

/** Everything the routes need, built once in `create-context.ts` (and by tests, with the real parts). */
export interface AppContext {
  config: Config;
  logger: Logger;
  redis: Redis;
  keys: RedisKeys;
  users: UserStore;
  tokens: TokenService;
  /** Signs and checks the short-lived media URLs (`<video>`, `<img>`). */
  mediaUrls: MediaUrls;
  /** Videos and, through `videos.events`, each user's event history. */
  videos: VideoStore;
  tracks: TrackStore;
  analyses: AnalysisStore;
  renders: RenderStore;
  webhooks: WebhookStore;
  uploads: UploadStorage;
  jobs: JobProducer;
  /** Each user's active videos and stored bytes against USER_MAX_*. */
  quotas: UserQuotas;
  /** The process's Prometheus registry (`GET /metrics`). */
  metrics: ServiceMetrics;
  close(): Promise<void>;
}
