import { hostname } from 'node:os';
import type { Worker } from 'bullmq';
import {
  AnalysisStore,
  createJobWorker,
  createRedis,
  FairPriorities,
  JobProducer,
  QueueName,
  redisKeys,
  RenderStore,
  ServiceMetrics,
  startMetricsServer,
  TrackStore,
  createUploadStorage,
  VideoStore,
  WebhookStore,
  type Config,
  type Logger,
} from '@video-detect/shared';
import type { ProcessorContext } from './context.js';
import { analyseHandler } from './jobs/analyse.handler.js';
import { deliverHandler } from './jobs/deliver.handler.js';
import { mergeHandler } from './jobs/merge.handler.js';
import { planHandler } from './jobs/plan.handler.js';
import { renderHandler } from './jobs/render.handler.js';
import { trackHandler } from './jobs/track.handler.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookSender } from './webhooks/webhook-sender.js';

export interface RunningProcessor {
  worker: Worker;
  /** Delivers webhooks: a worker of its own, so slow receivers never hold up planning and merging. */
  webhookWorker: Worker;
  /** Renders annotated videos (queue `renders`, RENDER_CONCURRENCY at once). */
  renderWorker: Worker;
  close(): Promise<void>;
}

/**
 * The processor: plans and merges videos (queue `processor`), and runs webhooks (the outbox
 * dispatcher and queue `webhooks`, with WEBHOOK_CONCURRENCY deliveries in flight; why here:
 * docs/integrations.md).
 */
export async function startProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const connection = createRedis(config.redis.url, 'worker');
  const metrics = new ServiceMetrics('processor');
  const videos = VideoStore.open(config, connection);
  videos.onFinish(metrics.observeVideoFinish);
  const jobs = new JobProducer(config, connection);
  jobs.onError((err) => logger.warn({ err: err.message }, 'queue error'));
  const sender = new WebhookSender({ allowedAddresses: config.webhooks.allowedAddresses, timeoutMs: config.webhooks.timeoutMs, userAgent: 'video-detect-webhooks/1' });
  const webhooks = WebhookStore.open(config, connection);
  const ctx: ProcessorContext = {
    config,
    videos,
    tracks: TrackStore.open(config, connection),
    analyses: AnalysisStore.open(config, connection),
    renders: RenderStore.open(config, connection),
    uploads: createUploadStorage(config),
    jobs,
    priorities: new FairPriorities(connection, redisKeys(config.redis.prefix), jobs.queues.detector),
    webhooks,
    sender,
  };
  const common = { context: ctx, config, connection, logger, videos, metrics };
  const worker = createJobWorker({ ...common, queue: QueueName.Processor, handlers: [planHandler, mergeHandler, trackHandler, analyseHandler] });
  const webhookWorker = createJobWorker({ ...common, queue: QueueName.Webhooks, handlers: [deliverHandler], concurrency: config.webhooks.concurrency });
  // Renders have a queue and a concurrency of their own: a long render never holds up planning, merging or a detector.
  const renderWorker = createJobWorker({ ...common, queue: QueueName.Renders, handlers: [renderHandler], concurrency: config.renders.concurrency });
  const dispatcher = new WebhookDispatcher({
    redis: connection.duplicate(),
    keys: redisKeys(config.redis.prefix),
    webhooks,
    jobs,
    logger,
    consumer: `${hostname()}:${process.pid}`,
  });
  await Promise.all([worker.waitUntilReady(), webhookWorker.waitUntilReady(), renderWorker.waitUntilReady()]);
  await dispatcher.start();
  const metricsServer = config.metrics.enabled ? await startMetricsServer(metrics, config.metrics.workerPort, logger) : null;
  for (const w of [worker, webhookWorker, renderWorker]) w.run().catch((err: unknown) => logger.error({ err, queue: w.name }, 'worker stopped with an error'));
  logger.info({ queues: [QueueName.Processor, QueueName.Webhooks, QueueName.Renders] }, 'processor ready');
  return {
    worker,
    webhookWorker,
    renderWorker,
    async close() {
      await dispatcher.close();
      await Promise.all([worker.close(), webhookWorker.close(), renderWorker.close()]);
      await metricsServer?.close();
      await ctx.jobs.close();
      sender.close();
      connection.disconnect();
    },
  };
}
