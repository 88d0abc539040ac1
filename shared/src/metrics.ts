import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from './logger.js';
import type { ServiceName } from './service-command.js';
import type { VideoOutcome } from './video-store.js';
import type { VideoRecord } from './video-record.js';

/** Every metric name starts with this (docs/operations.md lists them). */
export const METRIC_PREFIX = 'video_detect_';

/** Seconds: from a 10 ms job to a chunk of a 4K video on a CPU. */
const jobBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320];
/** Seconds per inference run (one batch): 1 ms on a GPU to a second for a large model on a CPU. */
const inferenceBuckets = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56];
/** Seconds from upload to the end: a clip in seconds, a long video in hours. */
const latencyBuckets = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800];
/** Seconds per HTTP request: prom-client's defaults plus long uploads. */
const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** BullMQ's job states as reported: `waiting` counts the plain wait list and prioritized jobs together. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'waiting_children'] as const;

/**
 * One process's Prometheus registry: Node's default metrics (event-loop lag, heap, CPU) labelled
 * with the service, and the product's metrics, each created by the service that records it.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  /**
   * Every job's run time by queue, job name and outcome (`completed`, `retrying`, `failed`);
   * `job_name="detect"` is the chunk duration. Not `job`: Prometheus sets that label to the scrape job.
   */
  readonly jobSeconds: Histogram<'queue' | 'job_name' | 'outcome'>;
  /** Job attempts that threw, by error code; `final="true"` when no attempt is left. */
  readonly jobFailures: Counter<'queue' | 'job_name' | 'code' | 'final'>;
  /** Videos ended, by status. */
  readonly videosFinished: Counter<'status'>;
  /** Failed videos by error code. */
  readonly videoFailures: Counter<'code'>;
  /** Upload to the end (created_at to completed_at), by final status. */
  readonly videoSeconds: Histogram<'status'>;

  constructor(readonly service: ServiceName) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    const registers = [this.registry];
    this.jobSeconds = new Histogram({ name: `${METRIC_PREFIX}job_duration_seconds`, help: 'Job run time (detect: one chunk).', labelNames: ['queue', 'job_name', 'outcome'], buckets: jobBuckets, registers });
    this.jobFailures = new Counter({ name: `${METRIC_PREFIX}job_failures_total`, help: 'Job attempts that failed, by error code.', labelNames: ['queue', 'job_name', 'code', 'final'], registers });
    this.videosFinished = new Counter({ name: `${METRIC_PREFIX}videos_finished_total`, help: 'Videos that ended, by status.', labelNames: ['status'], registers });
    this.videoFailures = new Counter({ name: `${METRIC_PREFIX}video_failures_total`, help: 'Videos that failed, by error code.', labelNames: ['code'], registers });
    this.videoSeconds = new Histogram({ name: `${METRIC_PREFIX}video_latency_seconds`, help: 'Upload to end of a video, by final status.', labelNames: ['status'], buckets: latencyBuckets, registers });
  }

  /** Records a video that ended (VideoStore's finish listener): end-to-end latency and, for a failure, its code. */
  readonly observeVideoFinish = (record: VideoRecord, outcome: VideoOutcome, completedAt: Date): void => {
    this.videosFinished.inc({ status: outcome.status });
    if (outcome.status === 'failed') this.videoFailures.inc({ code: outcome.error.code });
    const seconds = (completedAt.getTime() - Date.parse(record.created_at)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.videoSeconds.observe({ status: outcome.status }, seconds);
  };

  /** The detector's metrics: frames analysed, inference run time and the last chunk's rate. */
  detectorMetrics() {
    const registers = [this.registry];
    return {
      frames: new Counter({ name: `${METRIC_PREFIX}detector_frames_total`, help: 'Frames analysed and stored.', registers }),
      inferenceSeconds: new Histogram({
        name: `${METRIC_PREFIX}detector_inference_seconds`,
        help: 'One inference run (a batch: letterbox, model, box decoding).',
        labelNames: ['batch_size'],
        buckets: inferenceBuckets,
        registers,
      }),
      fps: new Gauge({ name: `${METRIC_PREFIX}detector_fps`, help: 'Frames per second of the last chunk (decode to stored).', registers }),
    };
  }

  /** Jobs per queue and state, read from Redis on each scrape (a scrape while Redis is away reports none). */
  queueGauge(queues: Queue[], timeoutMs = 2000): Gauge<'queue' | 'state'> {
    return new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'Jobs in each queue by state (waiting includes prioritized jobs).',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await withTimeout(Promise.all(queues.map(async (q) => [q.name, await q.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed', 'waiting-children')] as const)), timeoutMs);
        for (const [queue, c] of counts ?? []) {
          const byState: Record<(typeof QUEUE_STATES)[number], number> = {
            waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            failed: c.failed ?? 0,
            waiting_children: c['waiting-children'] ?? 0,
          };
          for (const state of QUEUE_STATES) this.set({ queue, state }, byState[state]);
        }
      },
    });
  }

  /** HTTP request duration by method, route template and status (the API). */
  httpHistogram(): Histogram<'method' | 'route' | 'status'> {
    return new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration by route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: httpBuckets,
      registers: [this.registry],
    });
  }
}

export type DetectorMetrics = ReturnType<ServiceMetrics['detectorMetrics']>;

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([work.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A worker's metrics port: `GET /metrics` in Prometheus text format, nothing else. A port already
 * taken is logged and the worker runs on without it (metrics must never stop detection).
 */
export async function startMetricsServer(metrics: ServiceMetrics, port: number, logger: Logger): Promise<MetricsServer | null> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
  } catch (err) {
    logger.error({ err, port }, 'metrics port unavailable; running without it (set WORKER_METRICS_PORT)');
    return null;
  }
  const bound = (server.address() as AddressInfo).port;
  logger.info({ port: bound }, `metrics on :${bound}/metrics`);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
