import { ConfigError, createLogger, loadConfig, onShutdown, type Config } from '@video-detect/shared';
import { startDetector } from './detector.js';
import { ModelLoadError } from './model/model-load-error.js';

/** Process entry: config, model (loaded and warmed), Redis, worker; a clean stop on SIGTERM. */
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
const logger = createLogger('detector', config.logLevel);

try {
  const detector = await startDetector(config, logger, { onFatal: () => setTimeout(() => process.exit(1), 1000).unref() });
  onShutdown(logger, config.shutdownTimeoutMs, [() => detector.close()]);
} catch (err) {
  const message = err instanceof ModelLoadError ? err.message : `start-up failed: ${err instanceof Error ? err.message : String(err)}`;
  logger.fatal({ err }, message);
  // Also plain on stderr: the line an operator looks for when the container exits at once.
  console.error(`detector: ${message}`);
  process.exit(1);
}
