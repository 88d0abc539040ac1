import type { Worker } from 'bullmq';
import { AnalysisStore, createJobWorker, createRedis, JobProducer, QueueName, TrackStore, UploadStorage, VideoStore, type Config, type Logger } from '@video-detect/shared';
import type { ProcessorContext } from './context.js';
import { analyseHandler } from './jobs/analyse.handler.js';
import { mergeHandler } from './jobs/merge.handler.js';
import { planHandler } from './jobs/plan.handler.js';
import { trackHandler } from './jobs/track.handler.js';

export interface RunningProcessor {
  worker: Worker;
  close(): Promise<void>;
}

export async function startProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const connection = createRedis(config.redis.url, 'worker');
  const videos = VideoStore.open(config, connection);
  const jobs = new JobProducer(config, connection);
  jobs.onError((err) => logger.warn({ err: err.message }, 'queue error'));
  const ctx: ProcessorContext = {
    config,
    videos,
    tracks: TrackStore.open(config, connection),
    analyses: AnalysisStore.open(config, connection),
    uploads: new UploadStorage(config.storage.dir),
    jobs,
  };
  const handlers = [planHandler, mergeHandler, trackHandler, analyseHandler];
  const worker = createJobWorker({ queue: QueueName.Processor, handlers, context: ctx, config, connection, logger, videos });
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
