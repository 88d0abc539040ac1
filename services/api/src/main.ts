import { assertMediaTools, ConfigError, createLogger, loadConfig, onShutdown } from '@video-detect/shared';
import { createApp } from './app.js';
import { createContext } from './create-context.js';

try {
  const config = loadConfig();
  // ffprobe checks uploads; ffmpeg cuts frame snapshots.
  assertMediaTools({ ffmpeg: config.media.ffmpegPath, ffprobe: config.media.ffprobePath });
  const logger = createLogger('api', config.logLevel);
  const { ctx, jwtSecret } = await createContext(config, logger);
  const { app, streams } = createApp(ctx, jwtSecret);
  const server = app.listen(config.api.port, () => {
    const base = config.api.publicBaseUrl ?? `http://localhost:${config.api.port}`;
    logger.info({ port: config.api.port, docs: `${base}/docs` }, `API listening; Swagger UI at ${base}/docs`);
  });
  // Uploads can be long: no request timeout, but drop idle keep-alive sockets.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5000;
  onShutdown(logger, config.shutdownTimeoutMs, [
    () => {
      // Stop accepting, end the event streams (their clients reconnect elsewhere), let the rest finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      streams.closeAll();
      return closed;
    },
    () => ctx.close(),
  ]);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
