import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { QueueName } from './queues.js';

/**
 * A worker's start-up state, written to a file for its container's health check (another
 * process): a detector whose execution provider failed to start is reported with the reason,
 * not as a worker that merely never connected. One file per container (host), Redis prefix and queue.
 */
export interface WorkerStatus {
  state: 'starting' | 'ready' | 'failed';
  /** What it runs on, or why it failed. */
  detail: string;
  pid: number;
  at: string;
}

export function workerStatusFile(redisPrefix: string, queue: QueueName): string {
  return path.join(tmpdir(), `video-detect-${redisPrefix}-${queue}.status.json`);
}

/** Best effort: a read-only /tmp must not stop the worker, only make its health check less specific. */
export function writeWorkerStatus(redisPrefix: string, queue: QueueName, state: WorkerStatus['state'], detail: string): void {
  const status: WorkerStatus = { state, detail, pid: process.pid, at: new Date().toISOString() };
  try {
    writeFileSync(workerStatusFile(redisPrefix, queue), `${JSON.stringify(status)}\n`);
  } catch {
    // Nothing to do: the health check falls back to the Redis connection alone.
  }
}

export function readWorkerStatus(redisPrefix: string, queue: QueueName): WorkerStatus | null {
  try {
    const status = JSON.parse(readFileSync(workerStatusFile(redisPrefix, queue), 'utf8')) as Partial<WorkerStatus>;
    return status.state && typeof status.detail === 'string' ? (status as WorkerStatus) : null;
  } catch {
    return null;
  }
}
