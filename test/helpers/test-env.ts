import { createServer, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis, loadConfig, QueueName, workerStatusFile, type Config } from '@video-detect/shared';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** `../shared` beside the checkout: the real model, videos, COCO images and reference outputs. */
export const sharedDir = path.resolve(repoRoot, '../shared');
export const mediaPath = (name: string) => path.join(sharedDir, 'media', name);
export const modelPath = (name = 'yolox_nano.onnx') => path.join(sharedDir, 'models', name);

export interface TestEnv {
  /** Environment variables for this run (also for child processes). */
  vars: Record<string, string>;
  config: Config;
  storageDir: string;
  /** Removes every Redis key under this run's prefix and the storage folder. */
  cleanup(): Promise<void>;
}

/**
 * A private corner of the shared Redis (a unique key prefix, also used for BullMQ) and a private
 * storage folder, so test runs never see each other's data.
 */
export const testRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function createTestEnv(overrides: Record<string, string> = {}): TestEnv {
  const prefix = `t-${randomUUID()}`;
  const storageDir = mkdtempSync(path.join(tmpdir(), 'vd-test-'));
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: prefix,
    VIDEO_STORAGE_DIR: storageDir,
    MODEL_PATH: process.env.MODEL_PATH ?? modelPath(),
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    // Workers of several test runs share this host: any free metrics port.
    WORKER_METRICS_PORT: '0',
    ...overrides,
  };
  const config = loadConfig(vars);
  return {
    vars,
    config,
    storageDir,
    async cleanup() {
      await deleteKeys(testRedisUrl, `${prefix}:*`);
      rmSync(storageDir, { recursive: true, force: true });
      for (const queue of Object.values(QueueName)) rmSync(workerStatusFile(prefix, queue), { force: true });
    },
  };
}

export async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = createRedis(redisUrl, 'request');
  redis.on('error', () => undefined); // reported by the failing command instead
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A port free on 127.0.0.1 right now (for a child process that must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
