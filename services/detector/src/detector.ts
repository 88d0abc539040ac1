import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createJobWorker, createRedis, QueueName, createUploadStorage, VideoStore, type Config, type Logger } from '@video-detect/shared';
import { InferenceClient } from './inference/inference-client.js';
import { describeProvider } from './model/execution-provider.js';
import { createDetectHandler } from './jobs/detect.handler.js';

export interface RunningDetector {
  worker: Worker;
  client: InferenceClient;
  /** Stops taking jobs, waits for the one in flight, then closes the inference thread and Redis; safe to call twice. */
  close(): Promise<void>;
}

/** Opens the model with the configured provider, threads and batch size, warmed once. */
export function startInference(config: Config, onCrash?: (err: Error) => void): Promise<InferenceClient> {
  const d = config.detector;
  return InferenceClient.start(
    {
      modelPath: config.model.path,
      executionProvider: d.executionProvider,
      deviceId: d.deviceId,
      webgpu: d.webgpu,
      intraOpThreads: d.intraOpThreads,
      batchSize: d.batchSize,
    },
    { threads: d.inferenceThreads, onCrash },
  );
}

/**
 * Start-up in the order that never takes a job it cannot do: model loaded and warmed first (throws
 * ModelLoadError naming the file), then Redis, then the worker starts pulling jobs.
 */
export async function startDetector(config: Config, logger: Logger, hooks: { onFatal?: (err: Error) => void } = {}): Promise<RunningDetector> {
  let detector: RunningDetector | null = null;
  const client = await startInference(config, (err) => {
    logger.fatal({ err }, 'inference thread died');
    void detector?.close();
    hooks.onFatal?.(err);
  });
  const m = client.model;
  for (const note of m.notes) logger.warn({ model: m.file }, note);
  logger.info(
    {
      model: m.file,
      family: m.format.family,
      inputSize: m.format.inputSize,
      classes: m.format.numClasses,
      labels: m.labelsFrom,
      batchSize: m.batchSize,
      executionProvider: describeProvider({ name: m.executionProvider, deviceId: m.deviceId }),
      ...(m.executionProvider === 'webgpu' ? { webgpu: config.detector.webgpu } : {}),
      intraOpThreads: config.detector.intraOpThreads || 'default',
      inferenceThreads: client.threads,
    },
    'model loaded and warmed',
  );

  const connection: Redis = createRedis(config.redis.url, 'worker');
  const videos = VideoStore.open(config, connection);
  const handler = createDetectHandler({ config, client, videos, uploads: createUploadStorage(config) });
  const worker = createJobWorker({ queue: QueueName.Detector, handlers: [handler], context: null, config, connection, logger, videos, concurrency: config.detector.concurrency });

  let closing: Promise<void> | null = null;
  detector = {
    worker,
    client,
    close() {
      closing ??= (async () => {
        await worker.close();
        await client.close();
        await connection.quit().catch(() => connection.disconnect());
      })();
      return closing;
    },
  };
  worker.run().catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
  logger.info({ queue: QueueName.Detector, concurrency: config.detector.concurrency }, 'detector taking jobs');
  return detector;
}
