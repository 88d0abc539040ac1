import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  chunkResultSchema,
  createLogger,
  createRedis,
  jobIdOf,
  JobName,
  QueueName,
  queueOptions,
  redisKeys,
  VideoStore,
  workerOptions,
  type JobResult,
} from '@video-detect/shared';
import { startDetector, type RunningDetector } from '../../services/detector/src/index.js';
import { processingVideo } from '../helpers/detector-video.js';
import { createTestEnv, type TestEnv } from '../helpers/test-env.js';

/**
 * ONNX Runtime's run() blocks the thread it runs on. With a 1 s job lock (renewed every 0.5 s), a
 * detector that ran inference on its main thread would lose the lock during a long chunk; another
 * worker's stall check would then hand the job out again. Ours runs inference in a worker thread.
 */
describe('a long chunk is neither stalled nor run twice', () => {
  let env: TestEnv;
  let redis: Redis;
  let detector: RunningDetector;
  const closers: Array<() => Promise<unknown>> = [];
  /** A connection of our own, disconnected in `after` (BullMQ leaves passed-in connections open). */
  const connect = () => {
    const c = createRedis(env.config.redis.url, 'worker');
    closers.unshift(() => Promise.resolve(c.disconnect()));
    return c;
  };

  before(async () => {
    env = createTestEnv({ JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '1000', JOB_MAX_STALLED: '1' });
    redis = createRedis(env.config.redis.url, 'worker');
    detector = await startDetector(env.config, createLogger('detector', 'silent'));
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await detector.close();
    redis.disconnect();
    await env.cleanup();
  });

  it('processes ~5 s of inference under a 1 s lock exactly once', async () => {
    const { config } = env;
    const store = new VideoStore(redis, redisKeys(config.redis.prefix));
    const frames = 220;
    const payload = await processingVideo(store, env.storageDir, 'bottle-detection.mp4', 100, 100 + frames);

    const events = new QueueEvents(QueueName.Detector, { connection: connect(), prefix: redisKeys(config.redis.prefix).bullPrefix });
    closers.push(() => events.close());
    await events.waitUntilReady();
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    detector.worker.on('stalled', (jobId) => stalled.push(jobId));
    let runs = 0;
    detector.worker.on('active', () => runs++);

    const queue = new Queue(QueueName.Detector, queueOptions(config, redis));
    closers.push(() => queue.close());
    const jobId = jobIdOf(JobName.Detect, payload);
    const lockKey = `${redisKeys(config.redis.prefix).bullPrefix}:${QueueName.Detector}:${jobId}:lock`;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const job = await queue.add(JobName.Detect, payload, { jobId, attempts: 3 });

    // A second worker on the queue, started once ours holds the job: it runs the stall check
    // every second and would pick the job up again if ours lost its lock.
    while ((await job.getState()) !== 'active') await new Promise((r) => setTimeout(r, 20));
    let observerRuns = 0;
    const observer = new Worker(
      QueueName.Detector,
      (): Promise<JobResult<'detect'>> => {
        observerRuns++;
        return Promise.resolve({ framesAnalysed: 0, objects: 0 });
      },
      workerOptions(config, connect()),
    );
    closers.push(() => observer.close());
    void observer.run();

    // The lock must stay alive for the whole run, well past its 1 s duration: renewals happen.
    let lockMissing = 0;
    let polls = 0;
    const started = Date.now();
    const finished = job.waitUntilFinished(events, 120_000) as Promise<JobResult<'detect'>>;
    let done = false;
    void finished.finally(() => (done = true));
    while (!done) {
      const [ttl, state] = await Promise.all([redis.pttl(lockKey), job.getState()]);
      if (state === 'active') {
        polls++;
        if (ttl <= 0) lockMissing++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await finished;
    const seconds = (Date.now() - started) / 1000;
    loopDelay.disable();

    assert.deepEqual(stalled, [], 'stalled events');
    assert.equal(observerRuns, 0, 'the job went back to wait and another worker ran it');
    assert.equal(runs, 1, 'our worker started the job once');
    assert.equal((await queue.getJob(jobId))?.attemptsMade, 1);
    assert.equal(lockMissing, 0, 'the job lock expired while the job was active');
    assert.ok(polls > 20, 'the lock was watched while the job ran');
    assert.ok(seconds > 3, `the chunk should take several seconds (took ${seconds.toFixed(1)} s)`);
    // The main event loop was never blocked for long: renewals (every 0.5 s) were always on time.
    assert.ok(loopDelay.max / 1e6 < 250, `event loop blocked for ${(loopDelay.max / 1e6).toFixed(0)} ms`);

    assert.equal(result.framesAnalysed, frames);
    assert.ok(result.objects >= frames * 2, `bottles on most frames (${result.objects} objects)`);
    const stored = chunkResultSchema.parse(JSON.parse((await redis.get(redisKeys(config.redis.prefix).chunkResult(payload.videoId, 0))) ?? 'null'));
    assert.deepEqual(
      stored.map((f) => f.index),
      payload.frameIndices,
    );
    assert.deepEqual(
      stored.map((f) => f.timestamp),
      payload.timestamps,
    );
    assert.ok(stored.every((f) => f.objects.every((o) => o.box[2] <= payload.width && o.box[3] <= payload.height)));
    assert.equal(await redis.sismember(redisKeys(config.redis.prefix).videoChunksDone(payload.videoId), '0'), 1);
  });
});
