import type { Logger } from './logger.js';

type Closer = () => Promise<unknown>;

/**
 * One place per process for a clean stop: on SIGTERM/SIGINT run the closers in order (stop taking
 * work first, connections last), bounded by a timeout so a stuck close cannot keep the process up.
 */
export function onShutdown(logger: Logger, timeoutMs: number, closers: Closer[]): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    void (async () => {
      for (const close of closers) {
        try {
          await close();
        } catch (err) {
          logger.error({ err }, 'error while shutting down');
        }
      }
      logger.info('stopped');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
