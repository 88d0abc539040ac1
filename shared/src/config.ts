import { z } from 'zod';
import { isAddressOrRange } from './address-policy.js';
import type { MediaLimits } from './media-limits.js';

/**
 * Every environment variable the services read, with its default. `.env.example` lists the same
 * variables; `test/unit/config.test.ts` checks the two agree.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Comma-separated IP addresses and CIDR ranges ("10.0.0.0/8, 192.168.1.20"); empty = none. */
const addressList = z
  .string()
  .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
  .refine((list) => list.every(isAddressOrRange), { message: 'a comma-separated list of IP addresses or CIDR ranges' });

/** ONNX Runtime execution providers a detector can run on (docs/deployment.md says which to pick). */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-" only')
    .default('vd'),

  VIDEO_STORAGE_DIR: z.string().min(1).default('video_storage'),
  UPLOAD_IDLE_SECONDS: int(1).default(900),
  // Object storage (docs/deployment.md): uploads in an S3-compatible bucket instead of VIDEO_STORAGE_DIR.
  STORAGE: z.enum(['local', 's3']).default('local'),
  S3_BUCKET: optionalString,
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: optionalString.pipe(z.string().url().optional()),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+\/)*$/, 'empty, or folder names of letters, digits, "_", "." or "-", each ending in "/"')
    .default(''),
  S3_PRESIGN_TTL_SECONDS: int(60, 7 * 24 * 3600).default(900),
  S3_PART_SIZE_MB: int(5, 5120).default(8),
  S3_UPLOAD_QUEUE_SIZE: int(1, 16).default(4),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  FFMPEG_MAX_MEMORY_MB: int(0).default(2048),
  FFMPEG_MAX_CPU_SECONDS: int(0).default(600),
  FFPROBE_TIMEOUT_SECONDS: int(0).default(300),

  PORT: int(0, 65535).default(3000),
  TRUST_PROXY: z.string().default('false'),
  PUBLIC_BASE_URL: optionalString,
  MAX_UPLOAD_BYTES: int(1).default(4 * 1024 ** 3),
  JWT_SECRET: optionalString,
  JWT_ACCESS_TTL_SECONDS: int(30).default(900),
  JWT_REFRESH_TTL_SECONDS: int(60).default(30 * 24 * 3600),
  REGISTRATION_ENABLED: bool.default(true),
  RATE_LIMIT_WINDOW_SECONDS: int(1).default(60),
  RATE_LIMIT_MAX: int(1).default(600),
  AUTH_RATE_LIMIT_MAX: int(1).default(30),
  LOGIN_SLOWDOWN_AFTER: int(1).default(5),
  LOGIN_SLOWDOWN_DELAY_MS: int(0).default(1000),
  LOGIN_SLOWDOWN_MAX_DELAY_MS: int(0).default(20_000),
  LOGIN_SLOWDOWN_WINDOW_SECONDS: int(1).default(900),
  MEDIA_URL_SECRET: optionalString,
  MEDIA_URL_TTL_SECONDS: int(30, 86400).default(900),
  VIEWER_DIR: optionalString,

  MODEL_PATH: z.string().min(1).default('models/yolox_nano.onnx'),
  DETECTOR_EXECUTION_PROVIDER: z.enum(EXECUTION_PROVIDERS).default('cpu'),
  DETECTOR_DEVICE_ID: int(0).default(0),
  DETECTOR_WEBGPU_VALIDATION: z.enum(['disabled', 'wgpuOnly', 'basic', 'full']).default('basic'),
  DETECTOR_WEBGPU_LAYOUT: z.enum(['NCHW', 'NHWC']).default('NHWC'),
  DETECTOR_WEBGPU_BUFFER_CACHE: z.enum(['disabled', 'lazyRelease', 'simple', 'bucket']).default('bucket'),
  DETECTOR_INTRA_OP_THREADS: int(0, 256).default(1),
  DETECTOR_INFERENCE_THREADS: int(1, 32).default(1),
  DETECTOR_BATCH_SIZE: int(1, 256).default(1),
  DETECTOR_CONCURRENCY: int(1, 64).default(1),
  DETECTION_SCORE_THRESHOLD: num(0, 1).default(0.3),
  DETECTION_NMS_IOU: num(0, 1).default(0.45),
  DETECTION_MAX_PER_FRAME: int(1, 10000).default(100),

  CHUNK_FRAMES: int(1, 100000).default(128),
  CHUNK_ATTEMPTS: int(1, 100).default(3),
  CHUNK_BACKOFF_MS: int(0).default(2000),
  JOB_LOCK_MS: int(1000).default(30000),
  JOB_STALLED_INTERVAL_MS: int(1000).default(30000),
  JOB_MAX_STALLED: int(0, 100).default(2),
  RESULT_TTL_SECONDS: int(0).default(0),
  EVENTS_MAX_LEN: int(10).default(1000),
  SHUTDOWN_TIMEOUT_MS: int(0).default(30000),

  // Usernames (comma-separated) that are admins: the queue dashboard at /admin/queues.
  ADMIN_USERNAMES: z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim().toLowerCase()).filter(Boolean))
    .default([]),
  ADMIN_SESSION_TTL_SECONDS: int(60, 86400).default(900),

  // Per-user limits (docs/scaling.md); 0 = no limit.
  USER_MAX_ACTIVE_VIDEOS: int(0).default(0),
  USER_MAX_STORED_BYTES: int(0).default(0),

  // Operations (docs/operations.md): Prometheus metrics.
  METRICS_ENABLED: bool.default(true),
  WORKER_METRICS_PORT: int(0, 65535).default(9464),

  // Integrations (docs/integrations.md): webhooks, live events, idempotent requests.
  WEBHOOK_ALLOWED_ADDRESSES: addressList.default([]),
  WEBHOOK_TIMEOUT_MS: int(100, 120000).default(10000),
  WEBHOOK_ATTEMPTS: int(1, 30).default(12),
  WEBHOOK_BACKOFF_MS: int(10).default(30000),
  WEBHOOK_CONCURRENCY: int(1, 256).default(16),
  WEBHOOK_DISABLE_AFTER_DAYS: int(1, 365).default(5),
  WEBHOOK_MAX_PER_USER: int(1, 1000).default(20),
  WEBHOOK_DELIVERY_LOG_MAX: int(10, 10000).default(100),
  EVENT_HISTORY_MAX_LEN: int(10, 1000000).default(1000),
  EVENT_STREAM_POLL_MS: int(50, 10000).default(500),
  EVENT_STREAM_HEARTBEAT_MS: int(1000, 300000).default(15000),
  IDEMPOTENCY_TTL_SECONDS: int(60).default(86400),

  // Annotated videos (docs/outputs.md).
  RENDER_CONCURRENCY: int(1, 64).default(1),
  RENDER_ATTEMPTS: int(1, 10).default(2),
  RENDER_BACKOFF_MS: int(0).default(5000),
  RENDER_PRESET: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow']).default('veryfast'),
  RENDER_CRF: int(0, 51).default(23),
});

export type Env = z.infer<typeof envSchema>;

/** WebGPU provider options that matter for speed (measured in docs/performance.md). */
export interface WebGpuSettings {
  validationMode: Env['DETECTOR_WEBGPU_VALIDATION'];
  preferredLayout: Env['DETECTOR_WEBGPU_LAYOUT'];
  storageBufferCacheMode: Env['DETECTOR_WEBGPU_BUFFER_CACHE'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Where STORAGE=s3 keeps uploads, and how the services reach it. */
export interface S3Settings {
  bucket: string;
  region: string;
  /** Any S3-compatible service (MinIO, Ceph RGW, R2); undefined = AWS S3. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** Both or neither; neither = the SDK's default chain (AWS_* variables, instance or pod roles). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Key prefix in the bucket ("" or "folder/"). */
  prefix: string;
  /** Life of the presigned GET URLs ffprobe and ffmpeg read through. */
  presignTtlSeconds: number;
  /** Multipart upload: part size and parts in flight (memory per upload = their product). */
  partSizeBytes: number;
  queueSize: number;
}

/** Nested, typed view of the environment: each service reads the part it needs. */
export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  redis: { url: string; prefix: string };
  storage: {
    kind: Env['STORAGE'];
    /** Uploads with STORAGE=local; with s3 only a scratch folder nothing is kept in. */
    dir: string;
    /** An upload in `.incoming/` not written to for this long is unfinished and swept (STORAGE=local). */
    uploadIdleSeconds: number;
    s3: S3Settings | null;
  };
  media: { ffmpegPath: string; ffprobePath: string; limits: MediaLimits };
  api: {
    port: number;
    trustProxy: string;
    publicBaseUrl: string | undefined;
    maxUploadBytes: number;
    registrationEnabled: boolean;
    rateLimit: { windowMs: number; max: number; authMax: number };
    /**
     * Per-account login throttling: after `after` failed logins for one username within `windowMs`
     * (from any address), each further attempt is answered `delayMs` later, doubling per failure up
     * to `maxDelayMs`. Only slowed, never refused, so nobody can lock another user out.
     */
    loginSlowDown: { after: number; delayMs: number; maxDelayMs: number; windowMs: number };
  };
  auth: {
    jwtSecret: string | undefined;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    /** Lower-cased usernames that get the admin role (at registration, or at their next login). */
    adminUsernames: string[];
    /** Lifetime of the admin dashboard's cookie session. */
    adminSessionTtlSeconds: number;
  };
  /** Signed media URLs (docs/viewer.md): the HMAC key (derived from the JWT secret when unset) and how long a URL works. */
  mediaUrls: { secret: string | undefined; ttlSeconds: number };
  /** The built web viewer (`npm run build`) the API serves at `/`; undefined: `viewer/dist` of this checkout or image. */
  viewer: { dir: string | undefined };
  model: { path: string };
  detector: {
    executionProvider: ExecutionProviderName;
    /** GPU index for cuda; webgpu takes the adapter its process sees (one GPU per container). */
    deviceId: number;
    webgpu: WebGpuSettings;
    intraOpThreads: number;
    /** Inference threads, each with its own session: runs in flight at once. */
    inferenceThreads: number;
    batchSize: number;
    concurrency: number;
    scoreThreshold: number;
    nmsIou: number;
    maxPerFrame: number;
  };
  jobs: {
    chunkFrames: number;
    chunkAttempts: number;
    chunkBackoffMs: number;
    lockMs: number;
    stalledIntervalMs: number;
    maxStalled: number;
    resultTtlSeconds: number;
    eventsMaxLen: number;
    /** Tries per webhook delivery, and the first retry delay (doubling each time). */
    webhookAttempts: number;
    webhookBackoffMs: number;
    /** Tries per render job, and the first retry delay (doubling each time). */
    renderAttempts: number;
    renderBackoffMs: number;
  };
  shutdownTimeoutMs: number;
  /** Per-user limits; 0 = none. Over one, an upload or retry answers 429 / 413 and stores nothing. */
  limits: {
    /** Videos queued or processing at once. */
    activeVideos: number;
    /** Bytes of stored uploads. */
    storedBytes: number;
  };
  metrics: {
    /** `/metrics` on the API and the workers' metrics port. */
    enabled: boolean;
    /** The processor's and each detector's metrics port (0: any free port, logged). */
    workerPort: number;
  };
  webhooks: {
    /** Addresses (and CIDR ranges) a webhook may reach although they are loopback, private, link-local or reserved. */
    allowedAddresses: string[];
    /** Limit on one delivery attempt: connecting, sending, and the receiver's answer. */
    timeoutMs: number;
    /** Deliveries in flight at once per processor. */
    concurrency: number;
    /** An endpoint whose deliveries have all failed for this long is disabled. */
    disableAfterDays: number;
    maxPerUser: number;
    /** Delivery attempts kept per endpoint, newest first. */
    deliveryLogMax: number;
  };
  events: {
    /** Events kept per user for `Last-Event-ID` replay. */
    historyMaxLen: number;
    /** How often an open event stream reads new events. */
    pollMs: number;
    /** Comment lines sent on a quiet stream, so proxies keep it open. */
    heartbeatMs: number;
  };
  idempotency: { ttlSeconds: number };
  renders: {
    /** Render jobs at once per processor (each is an ffmpeg decode and an x264 encode). */
    concurrency: number;
    /** libx264 preset and CRF of rendered videos. */
    preset: Env['RENDER_PRESET'];
    crf: number;
  };
}

/** Parses the environment once, listing every bad variable in one error. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message} (got ${JSON.stringify(source[String(i.path[0])])})`),
    );
  }
  const e = parsed.data;
  const s3 = s3Settings(e);
  if (e.DETECTOR_EXECUTION_PROVIDER === 'webgpu' && e.DETECTOR_INFERENCE_THREADS > 1) {
    // Measured: two threads running WebGPU sessions of one process fail ("Command encoding already
    // finished") and abort it; ONNX Runtime shares one GPU queue per process. Run more detectors.
    throw new ConfigError([
      `DETECTOR_INFERENCE_THREADS: must be 1 with DETECTOR_EXECUTION_PROVIDER=webgpu (its sessions share one GPU queue per process); run more detector processes per GPU instead (got "${e.DETECTOR_INFERENCE_THREADS}")`,
    ]);
  }
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    storage: { kind: e.STORAGE, dir: e.VIDEO_STORAGE_DIR, uploadIdleSeconds: e.UPLOAD_IDLE_SECONDS, s3 },
    media: {
      ffmpegPath: e.FFMPEG_PATH,
      ffprobePath: e.FFPROBE_PATH,
      limits: { memoryMb: e.FFMPEG_MAX_MEMORY_MB, cpuSeconds: e.FFMPEG_MAX_CPU_SECONDS, probeTimeoutSeconds: e.FFPROBE_TIMEOUT_SECONDS },
    },
    api: {
      port: e.PORT,
      trustProxy: e.TRUST_PROXY,
      publicBaseUrl: e.PUBLIC_BASE_URL,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      registrationEnabled: e.REGISTRATION_ENABLED,
      rateLimit: { windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000, max: e.RATE_LIMIT_MAX, authMax: e.AUTH_RATE_LIMIT_MAX },
      loginSlowDown: {
        after: e.LOGIN_SLOWDOWN_AFTER,
        delayMs: e.LOGIN_SLOWDOWN_DELAY_MS,
        maxDelayMs: e.LOGIN_SLOWDOWN_MAX_DELAY_MS,
        windowMs: e.LOGIN_SLOWDOWN_WINDOW_SECONDS * 1000,
      },
    },
    auth: {
      jwtSecret: e.JWT_SECRET,
      accessTtlSeconds: e.JWT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: e.JWT_REFRESH_TTL_SECONDS,
      adminUsernames: e.ADMIN_USERNAMES,
      adminSessionTtlSeconds: e.ADMIN_SESSION_TTL_SECONDS,
    },
    mediaUrls: { secret: e.MEDIA_URL_SECRET, ttlSeconds: e.MEDIA_URL_TTL_SECONDS },
    viewer: { dir: e.VIEWER_DIR },
    model: { path: e.MODEL_PATH },
    detector: {
      executionProvider: e.DETECTOR_EXECUTION_PROVIDER,
      deviceId: e.DETECTOR_DEVICE_ID,
      webgpu: { validationMode: e.DETECTOR_WEBGPU_VALIDATION, preferredLayout: e.DETECTOR_WEBGPU_LAYOUT, storageBufferCacheMode: e.DETECTOR_WEBGPU_BUFFER_CACHE },
      intraOpThreads: e.DETECTOR_INTRA_OP_THREADS,
      inferenceThreads: e.DETECTOR_INFERENCE_THREADS,
      batchSize: e.DETECTOR_BATCH_SIZE,
      concurrency: e.DETECTOR_CONCURRENCY,
      scoreThreshold: e.DETECTION_SCORE_THRESHOLD,
      nmsIou: e.DETECTION_NMS_IOU,
      maxPerFrame: e.DETECTION_MAX_PER_FRAME,
    },
    jobs: {
      chunkFrames: e.CHUNK_FRAMES,
      chunkAttempts: e.CHUNK_ATTEMPTS,
      chunkBackoffMs: e.CHUNK_BACKOFF_MS,
      lockMs: e.JOB_LOCK_MS,
      stalledIntervalMs: e.JOB_STALLED_INTERVAL_MS,
      maxStalled: e.JOB_MAX_STALLED,
      resultTtlSeconds: e.RESULT_TTL_SECONDS,
      eventsMaxLen: e.EVENTS_MAX_LEN,
      webhookAttempts: e.WEBHOOK_ATTEMPTS,
      webhookBackoffMs: e.WEBHOOK_BACKOFF_MS,
      renderAttempts: e.RENDER_ATTEMPTS,
      renderBackoffMs: e.RENDER_BACKOFF_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    limits: { activeVideos: e.USER_MAX_ACTIVE_VIDEOS, storedBytes: e.USER_MAX_STORED_BYTES },
    metrics: { enabled: e.METRICS_ENABLED, workerPort: e.WORKER_METRICS_PORT },
    webhooks: {
      allowedAddresses: e.WEBHOOK_ALLOWED_ADDRESSES,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
      disableAfterDays: e.WEBHOOK_DISABLE_AFTER_DAYS,
      maxPerUser: e.WEBHOOK_MAX_PER_USER,
      deliveryLogMax: e.WEBHOOK_DELIVERY_LOG_MAX,
    },
    events: { historyMaxLen: e.EVENT_HISTORY_MAX_LEN, pollMs: e.EVENT_STREAM_POLL_MS, heartbeatMs: e.EVENT_STREAM_HEARTBEAT_MS },
    idempotency: { ttlSeconds: e.IDEMPOTENCY_TTL_SECONDS },
    renders: { concurrency: e.RENDER_CONCURRENCY, preset: e.RENDER_PRESET, crf: e.RENDER_CRF },
  };
}

function s3Settings(e: Env): S3Settings | null {
  if (e.STORAGE !== 's3') return null;
  const problems: string[] = [];
  if (!e.S3_BUCKET) problems.push('S3_BUCKET: required when STORAGE=s3');
  if ((e.S3_ACCESS_KEY_ID === undefined) !== (e.S3_SECRET_ACCESS_KEY === undefined)) {
    problems.push('S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY: set both, or neither to use the SDK\'s default credentials');
  }
  // An accepted upload is promoted from the incoming prefix with one CopyObject, which S3 caps at 5 GiB.
  if (e.MAX_UPLOAD_BYTES > 5 * 1024 ** 3) problems.push('MAX_UPLOAD_BYTES: at most 5 GiB (5368709120) when STORAGE=s3');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    bucket: e.S3_BUCKET!,
    region: e.S3_REGION,
    endpoint: e.S3_ENDPOINT,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    credentials: e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY } : undefined,
    prefix: e.S3_PREFIX,
    presignTtlSeconds: e.S3_PRESIGN_TTL_SECONDS,
    partSizeBytes: e.S3_PART_SIZE_MB * 1024 ** 2,
    queueSize: e.S3_UPLOAD_QUEUE_SIZE,
  };
}
