import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobName } from '@video-detect/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrivateRedis } from '../helpers/private-redis.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { TestStack } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

/** Polls the stack's video until `ready` says so. */
async function waitFor(stack: TestStack, id: string, ready: (v: Awaited<ReturnType<TestStack['get']>>) => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 180_000; ; await sleep(50)) {
    if (ready(await stack.get(id))) return;
    assert.ok(Date.now() < deadline, `${what}\n${stack.recentLogs()}`);
  }
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

describe('the processor killed (SIGKILL) in the merge', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start({ CHUNK_FRAMES: '48', RATE_LIMIT_MAX: '100000', JOB_LOCK_MS: '3000', JOB_STALLED_INTERVAL_MS: '1000' });
    stack.spawnService('detector', { DETECTOR_CONCURRENCY: '2' });
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    await stack.stop();
  });

  it('another processor takes the merge (and tracking) over: completed, each frame once', async () => {
    const victim = stack.spawnService('processor');
    await stack.waitForWorkers('processor', 1);
    const up = await stack.upload(mediaPath('friday.mp4'));
    // The last chunk's result is what releases the merge: kill when every chunk is stored.
    await waitFor(stack, up.id, (v) => v.progress.chunks_total !== null && v.progress.chunks_done === v.progress.chunks_total, 'every chunk stored');
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    assert.notEqual((await stack.get(up.id)).status, 'completed', 'killed before the video was finished');
    stack.spawnService('processor');
    const video = await stack.waitForEnd(up.id, 180_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    await assertWholeAndIdle(stack, up.id, 185);
  });
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
