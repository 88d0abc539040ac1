import { assertMediaTools, ConfigError, createLogger, loadConfig, onShutdown } from '@video-detect/shared';
import { startProcessor } from './start-processor.js';

try {
  const config = loadConfig();
  // ffprobe plans the chunks; ffmpeg renders.
  assertMediaTools({ ffmpeg: config.media.ffmpegPath, ffprobe: config.media.ffprobePath });
  const logger = createLogger('processor', config.logLevel);
  const processor = await startProcessor(config, logger);
  onShutdown(logger, config.shutdownTimeoutMs, [() => processor.close()]);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
