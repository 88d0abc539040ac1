import { hostname } from 'node:os';
import type { JobsOptions, QueueOptions, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { redisKeys } from './keys.js';

/** Options every Queue/FlowProducer gets: our key prefix, and a capped events stream so results are not kept twice. */
export function queueOptions(config: Config, connection: Redis): QueueOptions {
  return {
    connection,
    prefix: redisKeys(config.redis.prefix).bullPrefix,
    streams: { events: { maxLen: config.jobs.eventsMaxLen } },
  };
}

/** Options every Worker gets: lock and stall detection from config, so a killed process's job is retried. */
export function workerOptions(config: Config, connection: Redis, concurrency = 1): WorkerOptions {
  return {
    connection,
    prefix: redisKeys(config.redis.prefix).bullPrefix,
    concurrency,
    // Lets operators tell containers apart in Queue.getWorkers() and CLIENT LIST.
    name: `${hostname()}:${process.pid}`,
    lockDuration: config.jobs.lockMs,
    stalledInterval: config.jobs.stalledIntervalMs,
    maxStalledCount: config.jobs.maxStalled,
    // Start explicitly once the process is warm (model loaded, connections up).
    autorun: false,
  };
}

/** Finished jobs are kept briefly for inspection, then removed: results live in our own keys. */
export const finishedJobRetention: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};
