import { FlowProducer, UnrecoverableError, Worker, type Job } from 'bullmq';
import {
  createRedis,
  JobName,
  queueOptions,
  QueueName,
  redisKeys,
  VideoStatus,
  VideoStorage,
  VideoStore,
  workerOptions,
  type Config,
  type Logger,
} from '@video-detect/shared';
import type { ProcessorContext } from './context.js';
import { handleMerge } from './jobs/merge.handler.js';
import { handleProcess } from './jobs/process.handler.js';

type Handler = (job: Job, ctx: ProcessorContext) => Promise<unknown>;

/** One handler per job name on the processor queue. */
const handlers: Record<string, Handler> = {
  [JobName.Process]: handleProcess,
  [JobName.Merge]: handleMerge,
};

const failureCodes: Record<string, string> = { [JobName.Process]: 'processing_failed', [JobName.Merge]: 'merge_failed' };

export interface RunningProcessor {
  worker: Worker;
  close(): Promise<void>;
}

export async function startProcessor(config: Config, logger: Logger): Promise<RunningProcessor> {
  const connection = createRedis(config.redis.url, 'worker');
  const keys = redisKeys(config.redis.prefix);
  const ctx: ProcessorContext = {
    config,
    logger,
    videos: new VideoStore(connection, keys),
    storage: new VideoStorage(config.storage.dir),
    flows: new FlowProducer(queueOptions(config, connection)),
  };
  const worker = new Worker(
    QueueName.Processor,
    async (job) => {
      const handler = handlers[job.name];
      if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${QueueName.Processor}`);
      return handler(job, ctx);
    },
    workerOptions(config, connection),
  );
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  // Retries are BullMQ's business; once a job has failed for good (or stalled too often), the video says so.
  worker.on('failed', (job, err) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return;
      const videoId = (job.data as { videoId?: unknown }).videoId;
      if (typeof videoId !== 'string') return;
      const code = err instanceof UnrecoverableError && err.message.startsWith('unreadable video') ? 'unreadable_video' : (failureCodes[job.name] ?? 'processing_failed');
      await ctx.videos.update(
        videoId,
        { status: VideoStatus.Failed, completed_at: new Date().toISOString(), error: { code, message: err.message } },
        [VideoStatus.Queued, VideoStatus.Processing],
      );
      logger.warn({ videoId, job: job.name, err: err.message }, 'video failed');
    })().catch((e: unknown) => logger.error({ err: e }, 'could not record a failure'));
  });
  await worker.waitUntilReady();
  worker.run().catch((err: unknown) => logger.error({ err }, "worker stopped with an error"));
  logger.info({ queue: QueueName.Processor }, 'processor ready');
  return {
    worker,
    async close() {
      await worker.close();
      await ctx.flows.close();
      connection.disconnect();
    },
  };
}
