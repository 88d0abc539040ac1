import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHUNK_READ_BATCH, createRedis, JobName, mergeProgress, mergeProgressSchema, type MergeProgress } from '@video-detect/shared';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrivateRedis } from '../helpers/private-redis.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { RedisFreezeProxy } from '../helpers/redis-freeze-proxy.js';
import { TestStack } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

/** Polls the stack's video until `ready` says so. */
async function waitFor(stack: TestStack, id: string, ready: (v: Awaited<ReturnType<TestStack['get']>>) => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 180_000; ; await sleep(50)) {
    if (ready(await stack.get(id))) return;
    assert.ok(Date.now() < deadline, `${what}\n${stack.recentLogs()}`);
  }
}

/** `promise`, or a failure saying `what` did not happen within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = sleep(ms, 'timeout' as const, { ref: false });
  const first = await Promise.race([promise, timer]);
  assert.notEqual(first, 'timeout', `${what}: not within ${ms} ms`);
  return first as T;
}

/** Every analysed frame exactly once, in order, and nothing left in the queues. */
async function assertWholeAndIdle(stack: TestStack, id: string, frames: number): Promise<void> {
  const listed = await stack.allFrames(id);
  assert.deepEqual(listed.map((f) => f.index), Array.from({ length: frames }, (_, i) => i));
  for (const queue of Object.values(stack.api.ctx.jobs.queues)) {
    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'waiting-children', 'failed');
    assert.ok(Object.values(counts).every((n) => n === 0), `${queue.name}: ${JSON.stringify(counts)}`);
  }
}

describe('Redis killed (SIGKILL) mid-video and restarted with AOF on', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  before(async () => {
    redis = await PrivateRedis.start();
    stack = await TestStack.start({ REDIS_URL: redis.url, CHUNK_FRAMES: '24', RATE_LIMIT_MAX: '100000', JOB_LOCK_MS: '8000', JOB_STALLED_INTERVAL_MS: '2000' });
    stack.spawnService('processor');
    stack.spawnService('detector');
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    await stack.stop();
    await redis.stop();
  });

  it('the API answers 503 JSON while it is down, the workers reconnect by themselves, and the video completes with each frame once', async () => {
    const up = await stack.upload(mediaPath('friday.mp4'));
    await waitFor(stack, up.id, (v) => v.progress.chunks_done >= 2, 'two chunks done before the kill');
    await redis.kill();

    const down = await stack.api.http().get(`/api/v1/videos/${up.id}`).set('authorization', stack.authorization);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.error.code, 'dependency_unavailable');
    assert.match(String(down.headers['content-type']), /json/);
    await sleep(1500);

    await redis.start();
    // The same processes: nothing restarted them.
    assert.ok(stack.processes.every((p) => p.exitCode === null && p.signalCode === null), 'services kept running');
    await stack.waitForWorkers('processor', 1, 30_000);
    await stack.waitForWorkers('detector', 1, 30_000);
    const video = await stack.waitForEnd(up.id, 180_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    assert.equal(video.progress.frames_done, 185);
    await assertWholeAndIdle(stack, up.id, 185);
  });
});

/** friday.mp4 in 8-frame chunks: 24 of them, more than one merge batch (CHUNK_READ_BATCH). */
const mergeChunks = Math.ceil(185 / 8);

/**
 * A processor SIGKILLed while its `merge` job's handler is running, at the point where it sends a
 * Redis command holding `marker`: it reaches Redis through a proxy that holds all of its traffic
 * from there on, so it is stopped at that point of the handler however fast the merge runs.
 * `checkFrozen` checks the state it left (the job and video), then it is killed, another processor
 * starts, and the video must complete as if nothing happened.
 */
function processorKilledInMerge(where: string, marker: string, checkFrozen: (stack: TestStack, videoId: string) => Promise<void>): void {
  describe(`the processor killed (SIGKILL) in the merge: ${where}`, () => {
    let stack: TestStack;
    let proxy: RedisFreezeProxy | undefined;
    let redis: Redis;
    before(async () => {
      assert.ok(mergeChunks > CHUNK_READ_BATCH, 'the merge reports progress before its last batch');
      stack = await TestStack.start({ CHUNK_FRAMES: '8', RATE_LIMIT_MAX: '100000', JOB_LOCK_MS: '4000', JOB_STALLED_INTERVAL_MS: '1000' });
      redis = createRedis(stack.api.env.vars.REDIS_URL!, 'request');
      stack.spawnService('detector', { DETECTOR_CONCURRENCY: '2' });
      await stack.waitForWorkers('detector', 1);
    });
    after(async () => {
      await stack.stop();
      await proxy?.close();
      redis.disconnect();
    });

    it('killed inside the merge handler (its job active under its lock): the merge job is run again once, completed, each frame once', async () => {
      proxy = await RedisFreezeProxy.start(stack.api.env.vars.REDIS_URL!, marker);
      const victim = stack.spawnService('processor', { REDIS_URL: proxy.url });
      await stack.waitForWorkers('processor', 1);
      const up = await stack.upload(mediaPath('friday.mp4'));
      await within(proxy.frozen, 180_000, `the merge sent ${marker}\n${stack.recentLogs()}`);

      // What only a merge in progress leaves. The lock first: the frozen victim renews it no more.
      const processor = stack.api.ctx.jobs.queues.processor;
      assert.ok(await redis.get(processor.toKey(`${up.id}-merge:lock`)), "the victim's worker holds the merge's lock");
      const merge = await stack.api.ctx.jobs.getJob(JobName.Merge, { videoId: up.id });
      assert.equal(await merge?.getState(), 'active');
      assert.equal(merge?.attemptsStarted, 1);
      const during = await stack.get(up.id);
      assert.equal(during.status, 'processing');
      assert.equal(during.progress.chunks_done, mergeChunks);
      await checkFrozen(stack, up.id);

      victim.kill('SIGKILL');
      await new Promise((r) => victim.once('exit', r));
      const killedAt = Date.now();
      stack.spawnService('processor');
      const video = await stack.waitForEnd(up.id, 180_000);
      assert.equal(video.status, 'completed', JSON.stringify(video.error));
      assert.deepEqual(video.progress, { frames_total: 185, frames_done: 185, chunks_total: mergeChunks, chunks_done: mergeChunks });
      // The track job the victim had added can finish the video before the killed merge's lock runs
      // out: that merge is then taken over afterwards (a lock time and a stall check later) and has nothing to do.
      for (const deadline = Date.now() + 30_000; (await (await stack.api.ctx.jobs.getJob(JobName.Merge, { videoId: up.id }))?.getState()) !== 'completed'; await sleep(100)) {
        assert.ok(Date.now() < deadline, `the killed merge job ran again to its end\n${stack.recentLogs()}`);
      }
      await assertWholeAndIdle(stack, up.id, 185);
      assert.equal(await redis.scard(processor.toKey('stalled')), 0, 'no job left marked stalled');

      // The same merge job, taken over after the stall and run to its end once more: two starts in all.
      const merged = await stack.api.ctx.jobs.getJob(JobName.Merge, { videoId: up.id });
      assert.equal(merged?.attemptsStarted, 2, 'the killed run and the one that finished');
      assert.ok((merged?.processedOn ?? 0) >= killedAt - 1000 && (merged?.finishedOn ?? 0) > killedAt, 'the finishing run started after the kill');
      assert.deepEqual(mergeProgressSchema.parse(merged?.progress), mergeProgress(mergeChunks, mergeChunks));
      const track = await stack.api.ctx.jobs.getJob(JobName.Track, { videoId: up.id });
      assert.equal(await track?.getState(), 'completed');
      assert.equal(track?.attemptsStarted, 1, 'one track job, run once');
      const finished = (await processor.getJobs(['completed', 'failed'])).filter((job) => (job.data as { videoId?: string }).videoId === up.id);
      assert.deepEqual(finished.map((job) => job.name).sort(), [JobName.Merge, JobName.Plan, JobName.Track].sort(), 'each processor job of the video once');

      // The summary counts what /detections lists, once: no chunk was folded in twice.
      const frames = await stack.allFrames(up.id);
      const perLabel = new Map<string, number>();
      for (const frame of frames) for (const label of new Set(frame.objects.map((o) => o.label))) perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
      assert.ok(perLabel.size > 0, 'friday.mp4 has objects found');
      assert.deepEqual(Object.fromEntries(Object.entries(video.summary ?? {}).map(([label, s]) => [label, s.frames])), Object.fromEntries(perLabel));
    });
  });
}

/** The merge job's progress as stored, waiting for a progress write the proxy let through to be applied. */
async function storedMergeProgress(stack: TestStack, videoId: string): Promise<MergeProgress> {
  for (const deadline = Date.now() + 5000; ; await sleep(20)) {
    const progress = (await stack.api.ctx.jobs.getJob(JobName.Merge, { videoId }))?.progress;
    if (progress && typeof progress === 'object') return mergeProgressSchema.parse(progress);
    assert.ok(Date.now() < deadline, 'the progress the proxy let through is stored');
  }
}

// Half-way through reading the chunks: the first batch reported merged (the only write so far).
processorKilledInMerge('half-way through reading the chunks', '"chunksMerged":', async (stack, videoId) => {
  assert.deepEqual(await storedMergeProgress(stack, videoId), mergeProgress(CHUNK_READ_BATCH, mergeChunks), 'one batch of the chunks merged, not all');
  assert.equal(await stack.api.ctx.jobs.getJob(JobName.Track, { videoId }), undefined, 'the merge has not added the track job');
});

// At its last write: the track job added, the merge job not yet finished (the retry adds it again).
processorKilledInMerge('right after it added the track job', '-track', async (stack, videoId) => {
  assert.deepEqual(await storedMergeProgress(stack, videoId), mergeProgress(mergeChunks, mergeChunks), 'every chunk merged');
  for (const deadline = Date.now() + 5000; !(await stack.api.ctx.jobs.getJob(JobName.Track, { videoId })); await sleep(20)) {
    assert.ok(Date.now() < deadline, 'the track job the proxy let through is stored');
  }
  assert.equal(await (await stack.api.ctx.jobs.getJob(JobName.Track, { videoId }))?.getState(), 'waiting', 'nothing has run the track job yet');
});

describe("disk full while a detector writes results (Redis's AOF on a full tmpfs)", () => {
  let tmpfs: ReturnType<typeof mountTmpfs> | undefined;
  let mountPoint = '';
  let redis: PrivateRedis;
  let stack: TestStack;
  before(async () => {
    tmpfs = mountTmpfs('8m', 'redis-full');
    mountPoint = tmpfs.dir;
    redis = await PrivateRedis.start(mountPoint, 'everysec');
    stack = await TestStack.start({ REDIS_URL: redis.url, CHUNK_FRAMES: '24', CHUNK_BACKOFF_MS: '500', CHUNK_ATTEMPTS: '10', RATE_LIMIT_MAX: '100000', JOB_LOCK_MS: '8000', JOB_STALLED_INTERVAL_MS: '2000' });
    stack.spawnService('processor');
    stack.spawnService('detector');
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    await stack?.stop();
    await redis?.kill();
    tmpfs?.unmount();
  });

  it('the write fails with the reason, nothing half-stored, and the chunk is retried once there is room: completed, each frame once', async () => {
    const up = await stack.upload(mediaPath('friday.mp4'));
    await waitFor(stack, up.id, (v) => v.progress.chunks_done >= 1, 'a chunk done before the disk fills');
    const filler = path.join(mountPoint, 'filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    const stuckAt = (await stack.get(up.id).catch(() => null))?.progress.chunks_done ?? 0;
    await sleep(3000);
    rmSync(filler);
    const video = await stack.waitForEnd(up.id, 180_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    await assertWholeAndIdle(stack, up.id, 185);
    const attempts = await Promise.all(
      Array.from({ length: video.progress.chunks_total ?? 0 }, (_, chunkIndex) => stack.api.ctx.jobs.getJob(JobName.Detect, { videoId: up.id, chunkIndex })),
    );
    const retried = attempts.filter((job) => job && (job.attemptsMade > 1 || job.stalledCounter > 0)).length;
    assert.ok(retried >= 1 || stuckAt < video.progress.chunks_total!, `a chunk was retried after the failed write (chunks done when full: ${stuckAt})`);
    assert.match(stack.recentLogs(), /MISCONF|No space left|AOF/i, 'the detector logged why the write failed');
  });
});
