import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { createRedis, FairPriorities, fairPriorities, MAX_JOB_PRIORITY, queueOptions, redisKeys, workerOptions, type Config } from '@video-detect/shared';
import type { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '../helpers/test-env.js';

/**
 * FairPriorities against the real BullMQ on the real Redis: jobs are added with the priorities it
 * assigns, and a real worker records the order it is handed them.
 */
describe('fair scheduling on the detector queue', () => {
  let env: TestEnv;
  let config: Config;
  let redis: Redis;
  let queue: Queue;
  let fair: FairPriorities;

  before(() => {
    env = createTestEnv();
    config = env.config;
    redis = createRedis(config.redis.url, 'worker');
    queue = new Queue('fair-test', queueOptions(config, redis));
    fair = new FairPriorities(redis, redisKeys(config.redis.prefix), queue);
  });
  after(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    await env.cleanup();
  });

  async function queueChunks(owner: string, count: number): Promise<void> {
    const priorities = await fair.assign(owner, count);
    for (const [i, priority] of priorities.entries()) await queue.add('detect', { owner, i }, { priority, removeOnComplete: true });
  }

  /** Runs `n` jobs (or all) with one worker and returns them in the order they ran. */
  async function drain(n = Infinity): Promise<string[]> {
    const order: string[] = [];
    const connection = redis.duplicate();
    const total = Math.min(n, await queue.getPrioritizedCount());
    const worker = new Worker(
      'fair-test',
      async (job) => {
        order.push(`${(job.data as { owner: string }).owner}${(job.data as { i: number }).i}`);
        if (order.length >= total) await worker.pause(true);
      },
      { ...workerOptions(config, connection), autorun: true },
    );
    for (const deadline = Date.now() + 10_000; order.length < total; await new Promise((r) => setTimeout(r, 20))) {
      assert.ok(Date.now() < deadline, `ran ${order.join(',')} of ${total}`);
    }
    await worker.close();
    connection.disconnect();
    return order;
  }

  it('a short video queued behind a long one takes turns with it instead of waiting', async () => {
    await queueChunks('a', 20);
    assert.deepEqual(await drain(3), ['a0', 'a1', 'a2']);
    await queueChunks('b', 3);
    const order = await drain();
    // b's first chunk is the next one taken, then a and b alternate until b is done.
    assert.deepEqual(order.slice(0, 6), ['b0', 'a3', 'b1', 'a4', 'b2', 'a5']);
    assert.equal(order.length, 20);
  });

  it('three users share the queue one chunk each in turn; one user\'s second video waits for its first', async () => {
    await queueChunks('a', 4);
    await queueChunks('a', 2); // a's second video: after a's first
    await queueChunks('b', 2);
    await queueChunks('c', 2);
    const order = await drain();
    // a0 is the head (turn 1): b and c start level with it, so each user's chunks take turns.
    assert.deepEqual(order, ['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'a3', 'a0', 'a1']);
  });

  it('an empty queue starts everyone from the beginning again', async () => {
    assert.equal(await queue.getPrioritizedCount(), 0);
    await queueChunks('c', 1);
    const [job] = await queue.getPrioritized(0, 0);
    assert.equal(job?.priority, 1, 'no history carried over from earlier work');
    await drain();
  });

  it('priorities stop at BullMQ\'s limit', () => {
    assert.deepEqual(fairPriorities(0, 3), [1, 2, 3]);
    assert.deepEqual(fairPriorities(MAX_JOB_PRIORITY - 2, 3), [MAX_JOB_PRIORITY - 1, MAX_JOB_PRIORITY, MAX_JOB_PRIORITY]);
  });
});
