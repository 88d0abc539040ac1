import path from 'node:path';
import { assertMediaTools, ConfigError, createLogger, loadConfig, onShutdown, QueueName, writeWorkerStatus, type Config, type WorkerStatus } from '@video-detect/shared';
import { startDetector } from './detector.js';
import { describeProvider, ExecutionProviderError } from './model/execution-provider.js';
import { ModelLoadError } from './model/model-load-error.js';

/** Process entry: config, model (loaded and warmed), Redis, worker; a clean stop on SIGTERM. */
let config: Config;
try {
  config = loadConfig();
  // Each detector decodes its own frames.
  assertMediaTools({ ffmpeg: config.media.ffmpegPath });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
const logger = createLogger('detector', config.logLevel);
// For the container's health check, which runs as another process (shared/src/worker-healthcheck.ts).
const status = (state: WorkerStatus['state'], detail: string) => writeWorkerStatus(config.redis.prefix, QueueName.Detector, state, detail);
const provider = describeProvider({ name: config.detector.executionProvider, deviceId: config.detector.deviceId });

status('starting', `loading ${config.model.path} on ${provider}`);
try {
  const detector = await startDetector(config, logger, { onFatal: () => setTimeout(() => process.exit(1), 1000).unref() });
  const m = detector.client.model;
  status('ready', `${path.basename(m.file)} on ${provider}, batch ${m.batchSize}, ${detector.client.threads} inference thread(s)`);
  onShutdown(logger, config.shutdownTimeoutMs, [() => detector.close()]);
} catch (err) {
  const known = err instanceof ModelLoadError || err instanceof ExecutionProviderError;
  const message = known ? err.message : `start-up failed: ${err instanceof Error ? err.message : String(err)}`;
  status('failed', message);
  logger.fatal({ err }, message);
  // Also plain on stderr: the line an operator looks for when the container exits at once.
  console.error(`detector: ${message}`);
  process.exit(1);
}
