/**
 * Container health check of the processor and detector images:
 *   node shared/dist/worker-healthcheck.js <queue>
 * Exit 0 when Redis lists a BullMQ worker connection for <queue> from this host (a container's
 * hostname is its own, and workers are named `<hostname>:<pid>`, see bull.ts): the process is up,
 * reached Redis, and (for the detector) loaded its model, as the worker is created after that.
 * It does not prove the next job will succeed. Needs CLIENT LIST allowed if Redis uses ACLs.
 * A worker that failed to start (e.g. a detector whose execution provider cannot run) leaves its
 * reason in its status file (worker-status.ts); the check prints it.
 * With `network_mode: host` containers share the host's hostname, so there replicas on one host
 * cannot be told apart (the smoke test's setup); with Compose's default networking they can.
 */
import { hostname } from 'node:os';
import { loadConfig } from './config.js';
import { redisKeys } from './keys.js';
import { QueueName } from './queues.js';
import { createRedis } from './redis.js';
import { readWorkerStatus } from './worker-status.js';

/** The CLIENT LIST name BullMQ gives a worker's connections. */
export function workerClientNamePrefix(bullPrefix: string, queue: string, host: string): string {
  return `${bullPrefix}:${Buffer.from(queue).toString('base64')}:w:${host}:`;
}

async function main(): Promise<number> {
  const queue = process.argv[2];
  if (!Object.values<string>(QueueName).includes(queue ?? '')) {
    console.error(`usage: worker-healthcheck <${Object.values(QueueName).join('|')}>`);
    return 2;
  }
  const config = loadConfig();
  const status = readWorkerStatus(config.redis.prefix, queue as QueueName);
  if (status?.state === 'failed') {
    console.error(`unhealthy: ${queue} failed to start: ${status.detail}`);
    return 1;
  }
  const expected = workerClientNamePrefix(redisKeys(config.redis.prefix).bullPrefix, queue as string, hostname());
  const redis = createRedis(config.redis.url, 'request', { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const clients = String(await redis.call('CLIENT', 'LIST'));
    const found = clients.split('\n').some((line) => / name=(\S*)/.exec(line)?.[1]?.startsWith(expected));
    if (!found) {
      const starting = status?.state === 'starting' ? ` (still starting: ${status.detail})` : '';
      console.error(`unhealthy: Redis lists no ${queue} worker of this host (${expected}*)${starting}`);
      return 1;
    }
    console.log(`ok: ${queue} worker of ${hostname()} connected to Redis${status?.state === 'ready' ? `; ${status.detail}` : ''}`);
    return 0;
  } catch (err) {
    console.error(`unhealthy: Redis: ${(err as Error).message}`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

// Run as a script, not when imported (tests import the name builder).
if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
