import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobName } from '@video-detect/shared';
import { TestStack } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

describe('a detector killed in the middle of a chunk', () => {
  let stack: TestStack;
  before(async () => {
    // Short locks so the killed detector's chunk is seen as stalled within seconds, not 30 s.
    stack = await TestStack.start({ CHUNK_FRAMES: '400', JOB_LOCK_MS: '4000', JOB_STALLED_INTERVAL_MS: '2000' });
    stack.spawnService('processor');
    await stack.waitForWorkers('processor', 1);
  });
  after(async () => {
    await stack.stop();
  });

  it('loses nothing: the chunk is retried elsewhere and every frame appears exactly once', async () => {
    const victim = stack.spawnService('detector');
    await stack.waitForWorkers('detector', 1);
    const up = await stack.upload(mediaPath('bottle-detection.mp4'));
    // Wait until the first chunk is part-way through, then kill its detector outright.
    let killedAt = -1;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
      const v = await stack.get(up.id);
      if (v.progress.frames_done >= 40 && v.progress.chunks_done === 0) {
        victim.kill('SIGKILL');
        killedAt = v.progress.frames_done;
        break;
      }
    }
    assert.ok(killedAt > 0, 'killed mid-chunk');
    await new Promise((r) => victim.once('exit', r));
    stack.spawnService('detector');
    const video = await stack.waitForEnd(up.id, 300_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    assert.equal(video.progress.frames_total, 1189);
    assert.equal(video.progress.frames_done, 1189);
    const frames = await stack.allFrames(up.id);
    assert.deepEqual(frames.map((f) => f.index), Array.from({ length: 1189 }, (_, i) => i));
    // The chunk that was running was taken over (stalled -> retried), not lost or duplicated.
    const chunks = Array.from({ length: video.progress.chunks_total ?? 0 }, (_, chunkIndex) => stack.api.ctx.jobs.getJob(JobName.Detect, { videoId: up.id, chunkIndex }));
    const stalled = (await Promise.all(chunks)).map((job) => {
      assert.ok(job, 'finished chunk jobs are kept for an hour');
      return job.stalledCounter;
    });
    assert.equal(stalled.filter((n) => n >= 1).length, 1, `exactly the interrupted chunk was taken over after stalling (stalls per chunk: ${stalled.join(', ')})`);
  });
});

describe('a video whose middle is corrupt', () => {
  let stack: TestStack;
  let corrupt: string;
  before(async () => {
    stack = await TestStack.start({ CHUNK_FRAMES: '200', CHUNK_ATTEMPTS: '2', CHUNK_BACKOFF_MS: '100' });
    // Overwrite 60 kB in the middle of the media data: the container (and ffprobe) are intact, frames there are not.
    const data = readFileSync(mediaPath('bottle-detection.mp4'));
    const mid = Math.floor(data.length / 2);
    for (let k = mid; k < mid + 60_000; k++) data[k] = (k * 7919) & 0xff;
    corrupt = path.join(stack.api.env.storageDir, '..', `corrupt-middle-${process.pid}.mp4`);
    writeFileSync(corrupt, data);
    stack.spawnService('processor');
    stack.spawnService('detector');
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    await stack.stop();
  });

  it('is accepted by ffprobe, then ends failed with an error naming the bad chunk: never stuck processing', async () => {
    const up = await stack.upload(corrupt);
    assert.equal(up.status, 'queued');
    const video = await stack.waitForEnd(up.id, 300_000);
    assert.equal(video.status, 'failed');
    assert.equal(video.error?.code, 'chunk_failed');
    assert.match(video.error?.message ?? '', /chunk \d+ failed after 2 attempt\(s\)/);
    assert.match(video.error?.message ?? '', /frames/);
  });
});
