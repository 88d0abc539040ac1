import type { Worker } from 'bullmq';
import { createJobWorker, createRedis, JobProducer, QueueName, UploadStorage, VideoStore, type Config, type Logger } from '@video-detect/shared';
import type { ProcessorContext } from './context.js';
import { mergeHandler } from './jobs/merge.handler.js';
import { planHandler } from './jobs/plan.handler.js';

export interface RunningProcessor {
  worker: Worker;
  close(): Promise<void>;
}

export async function startProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const connection = createRedis(config.redis.url, 'worker');
  const videos = VideoStore.open(config, connection);
  const jobs = new JobProducer(config, connection);
  jobs.onError((err) => logger.warn({ err: err.message }, 'queue error'));
  const ctx: ProcessorContext = { config, videos, uploads: new UploadStorage(config.storage.dir), jobs };
  const worker = createJobWorker({ queue: QueueName.Processor, handlers: [planHandler, mergeHandler], context: ctx, config, connection, logger, videos });
  await worker.waitUntilReady();
  worker.run().catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
  logger.info({ queue: QueueName.Processor }, 'processor ready');
  return {
    worker,
    async close() {
      await worker.close();
      await ctx.jobs.close();
      connection.disconnect();
    },
  };
}
