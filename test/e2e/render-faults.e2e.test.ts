import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobName, renderFileName, type RenderResource } from '@video-detect/shared';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { countDecodedFrames, TestStack } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

type Render = RenderResource & { status: string; error: { code: string; message: string } | null };

/** Room left beside the filler: ffmpeg gets to write part of the MP4 (about 500 kB at the default preset) before the disk is full. */
const ROOM_BYTES = 96 * 1024;

describe('disk full while a render writes (the storage dir on an 8 MiB tmpfs)', () => {
  let tmpfs: ReturnType<typeof mountTmpfs> | undefined;
  let mountPoint = '';
  let downloads = '';
  let stack: TestStack;
  before(async () => {
    tmpfs = mountTmpfs('8m', 'render-full');
    mountPoint = tmpfs.dir;
    downloads = mkdtempSync(path.join(tmpdir(), 'vd-render-full-'));
    stack = await TestStack.start({
      VIDEO_STORAGE_DIR: mountPoint,
      RENDER_ATTEMPTS: '2',
      // Long enough to see (and act on) the render waiting for its retry, short enough for a fast test.
      RENDER_BACKOFF_MS: '3000',
      RATE_LIMIT_MAX: '100000',
    });
    stack.spawnService('processor');
    stack.spawnService('detector');
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    await stack?.stop();
    tmpfs?.unmount();
    rmSync(downloads, { recursive: true, force: true });
  });

  /** The files in the storage dir (dot-files, i.e. scratch files, included; folders left out). */
  const files = () =>
    readdirSync(mountPoint, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  const getRender = async (videoId: string, renderId: string) =>
    (await stack.api.http().get(`/api/v1/videos/${videoId}/renders/${renderId}`).set('authorization', stack.authorization).expect(200)).body as Render;
  const postRender = async (videoId: string, options: object) =>
    (await stack.api.http().post(`/api/v1/videos/${videoId}/renders`).set('authorization', stack.authorization).send(options).expect(202)).body as Render;

  /** Polls the render until `done` holds; returns it. */
  async function waitForRender(videoId: string, renderId: string, done: (r: Render) => boolean, what: string): Promise<Render> {
    for (const deadline = Date.now() + 60_000; ; await sleep(50)) {
      const render = await getRender(videoId, renderId);
      if (done(render)) return render;
      assert.ok(Date.now() < deadline, `${what}: still ${JSON.stringify(render)}\n${stack.recentLogs()}`);
    }
  }
  const waitingForRetry = (r: Render) => r.status === 'queued' && r.error !== null;
  const ended = (r: Render) => r.status === 'completed' || r.status === 'failed';

  /** Downloads the render through the API and counts the frames ffmpeg decodes from it. */
  async function playableFrames(render: Render): Promise<number> {
    assert.ok(render.links.file, 'a completed render links its file');
    const res = await stack.api
      .http()
      .get(render.links.file)
      .set('authorization', stack.authorization)
      .buffer(true)
      .parse((r, done) => {
        const parts: Buffer[] = [];
        r.on('data', (d: Buffer) => parts.push(d));
        r.on('end', () => done(null, Buffer.concat(parts)));
      })
      .expect(200)
      .expect('content-type', 'video/mp4');
    const file = path.join(downloads, `${render.id}.mp4`);
    writeFileSync(file, res.body as Buffer);
    assert.equal(statSync(file).size, render.size_bytes);
    return countDecodedFrames(file);
  }

  it('each attempt fails with storage_full and leaves no partial file; the render waits queued with the reason, and is retried once there is room: completed and playable', async () => {
    const sourceFrames = countDecodedFrames(mediaPath('friday.mp4'));
    const up = await stack.upload(mediaPath('friday.mp4'));
    const video = await stack.waitForEnd(up.id, 120_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    const upload = files();
    assert.equal(upload.length, 1, `only the upload is stored: ${upload.join(', ')}`);

    // Fill the tmpfs, then give back a little: the render starts writing and runs out of room.
    const filler = path.join(mountPoint, 'filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    truncateSync(filler, statSync(filler).size - ROOM_BYTES);
    const full = [...upload, 'filler'].sort();

    // 1. Attempts run out while the disk stays full: failed, with the cause in words, nothing left.
    const a = await postRender(up.id, {});
    const aWaiting = await waitForRender(up.id, a.id, (r) => waitingForRetry(r) || ended(r), 'render A: its first attempt fails');
    assert.equal(aWaiting.status, 'queued', `a failed first attempt is retried: ${JSON.stringify(aWaiting)}`);
    assert.equal(aWaiting.error?.code, 'storage_full', JSON.stringify(aWaiting.error));
    assert.match(aWaiting.error?.message ?? '', /^attempt 1 of 2 failed.*no space left on device.*VIDEO_STORAGE_DIR/);
    assert.equal(aWaiting.links.file, null);
    assert.deepEqual(files(), full, 'the failed attempt left no partial file');

    const aFailed = await waitForRender(up.id, a.id, ended, 'render A: attempts run out');
    assert.equal(aFailed.status, 'failed');
    assert.equal(aFailed.error?.code, 'render_failed');
    assert.match(aFailed.error?.message ?? '', new RegExp(`^render ${a.id} failed after 2 attempt\\(s\\): no space left on device: the rendered MP4 could not be written in VIDEO_STORAGE_DIR`));
    assert.doesNotMatch(aFailed.error?.message ?? '', /ffmpeg exited|av_interleaved|Error writing/, 'the reason, not ffmpeg stderr');
    assert.deepEqual(files(), full, 'nothing left behind by the last attempt');
    const aJob = await stack.api.ctx.jobs.getJob(JobName.Render, { renderId: a.id });
    assert.equal(aJob?.attemptsMade, 2);
    assert.match(aJob?.failedReason ?? '', /no space left on device/);
    assert.match(stack.recentLogs(), /No space left on device/, "the processor logged ffmpeg's own line");
    assert.equal((await stack.get(up.id)).status, 'completed', 'the video stays completed');

    // 2. Room again between two attempts: the retry renders it, with no new request.
    const b = await postRender(up.id, { trails: true });
    const bWaiting = await waitForRender(up.id, b.id, (r) => waitingForRetry(r) || ended(r), 'render B: its first attempt fails');
    assert.equal(bWaiting.status, 'queued', JSON.stringify(bWaiting));
    assert.equal(bWaiting.error?.code, 'storage_full');
    assert.deepEqual(files(), full, 'no partial file while it waits');
    rmSync(filler);
    const bDone = await waitForRender(up.id, b.id, ended, 'render B: retried once there is room');
    assert.equal(bDone.status, 'completed', JSON.stringify(bDone.error));
    assert.equal(bDone.error, null, 'the retry that succeeded clears the reason');
    assert.deepEqual(bDone.progress, { frames_done: sourceFrames, frames_total: sourceFrames });
    assert.equal(await playableFrames(bDone), sourceFrames);

    // 3. The failed render asked for again: the same render, started afresh, completes.
    const again = await postRender(up.id, {});
    assert.equal(again.id, a.id);
    assert.equal(again.error, null);
    const aDone = await waitForRender(up.id, a.id, ended, 'render A asked for again');
    assert.equal(aDone.status, 'completed', JSON.stringify(aDone.error));
    assert.equal(await playableFrames(aDone), sourceFrames);

    assert.deepEqual(files(), [...upload, renderFileName(up.id, a.id), renderFileName(up.id, b.id)].sort(), 'the two renders and the upload, nothing partial');
  });
});
