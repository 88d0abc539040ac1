import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { TestStack, type VideoBody } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

const run = promisify(execFile);

/** Deterministic bytes that are no media at all. */
const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, k) => (k * 7919 + 13) & 0xff));

/** ffmpeg makes `out` from a small test pattern with these output arguments. */
const pattern = (out: string, args: string[]) => run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25', ...args, out]);

/** A 10,000 fps burst (0.1 ms apart) then 25 fps: timestamps that the container may or may not keep apart. */
const burst = ['-frames:v', '60', '-vf', 'setpts=if(lt(N\\,40)\\,N*0.0001\\,0.004+(N-40)*0.04)/TB', '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0'];

describe('files ffmpeg chokes on: refused or failed with a reason, never stuck', () => {
  let stack: TestStack;
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-hostile-'));
  const files: Record<string, string> = {};

  before(async () => {
    stack = await TestStack.start({ CHUNK_FRAMES: '32', CHUNK_ATTEMPTS: '2', CHUNK_BACKOFF_MS: '100', RATE_LIMIT_MAX: '100000', FFPROBE_TIMEOUT_SECONDS: '20', FFMPEG_MAX_CPU_SECONDS: '20' });
    stack.spawnService('processor');
    stack.spawnService('detector', { DETECTOR_CONCURRENCY: '2' });
    // Index first (faststart), so the cut file is accepted and breaks only where its data ends.
    const whole = path.join(dir, 'whole.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-ss', '2', '-t', '2', '-i', mediaPath('friday.mp4'), '-an', '-s', '160x90', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', whole]);
    const bytes = readFileSync(whole);
    files['truncated mp4 (60 %)'] = path.join(dir, 'truncated.mp4');
    writeFileSync(files['truncated mp4 (60 %)'], bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    files['a valid header, then garbage'] = path.join(dir, 'garbage-after-header.mp4');
    const ts = path.join(dir, 'source.ts');
    await pattern(ts, ['-t', '4', '-c:v', 'mpeg2video', '-f', 'mpegts']);
    const tsBytes = readFileSync(ts);
    writeFileSync(files['a valid header, then garbage'], Buffer.concat([tsBytes.subarray(0, 188 * 40), noise(tsBytes.length)]));
    files['a zip renamed .mp4'] = path.join(dir, 'archive.mp4');
    writeFileSync(files['a zip renamed .mp4'], Buffer.concat([Buffer.from('PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000'), noise(20_000)]));
    files['10,000 fps burst in Matroska (1 ms timestamps)'] = path.join(dir, 'burst.mkv');
    files['10,000 fps burst in mp4 (1/10000 s timescale)'] = path.join(dir, 'burst.mp4');
    await Promise.all([
      pattern(files['10,000 fps burst in Matroska (1 ms timestamps)'], burst),
      pattern(files['10,000 fps burst in mp4 (1/10000 s timescale)'], [...burst, '-video_track_timescale', '10000']),
      stack.waitForWorkers('detector', 1),
    ]);
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each one is refused with 415 and the reason, or ends completed or failed with a code and a message', async () => {
    const outcomes = await Promise.all(
      Object.entries(files).map(async ([name, file]) => {
        const res = await stack.api.http().post('/api/v1/videos').set('authorization', stack.authorization).attach('video', file);
        if (res.status === 415) {
          assert.equal(res.body.error.code, 'unsupported_media', name);
          assert.ok(res.body.error.message.length > 20, `${name}: a reason (${res.body.error.message})`);
          return `${name}: 415 ${res.body.error.message}`;
        }
        assert.equal(res.status, 202, `${name}: ${JSON.stringify(res.body)}`);
        const video: VideoBody = await stack.waitForEnd((res.body as VideoBody).id, 120_000);
        assert.ok(video.status === 'completed' || video.status === 'failed', `${name}: ${video.status}`);
        if (video.status === 'failed') assert.ok(video.error?.code && video.error.message.length > 20, `${name}: failed with a reason: ${JSON.stringify(video.error)}`);
        else assert.equal(video.progress.frames_done, video.progress.frames_total, `${name}: completed means every frame`);
        return `${name}: ${video.status}${video.error ? ` ${video.error.code}: ${video.error.message}` : ` (${video.progress.frames_total} frames)`}`;
      }),
    );
    console.log(outcomes.join('\n'));
    // The zip never gets past the upload.
    assert.ok(outcomes.some((o) => o.startsWith('a zip renamed .mp4: 415')));
    // Nothing left running or waiting in the queues.
    for (const queue of Object.values(stack.api.ctx.jobs.queues)) {
      for (let tries = 0; ; tries++) {
        const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'waiting-children');
        if (Object.values(counts).every((n) => n === 0)) break;
        assert.ok(tries < 50, `${queue.name}: ${JSON.stringify(counts)} still pending`);
        await sleep(100);
      }
    }
  });
});
