import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateMediaCases, mediaCases } from '../helpers/media-matrix.js';
import { countDecodedFrames, TestStack, type VideoBody } from '../helpers/stack.js';

/**
 * The media matrix (docs/media.md): every container, codec and property users send, generated
 * small with ffmpeg, through the whole product. Each must complete with every frame exactly once,
 * timestamps rising from about 0 and boxes inside the displayed frame.
 */
describe('media matrix: containers, codecs and awkward properties', () => {
  let stack: TestStack;
  const dir = mkdtempSync(path.join(tmpdir(), 'vd-media-matrix-'));
  let files: Map<(typeof mediaCases)[number], string>;
  const outcomes = new Map<string, VideoBody>();

  before(async () => {
    // Small chunks, so even 30 frames are cut several times (boundaries inside GOPs, B-frames).
    stack = await TestStack.start({ CHUNK_FRAMES: '8', DETECTION_SCORE_THRESHOLD: '0.2', RATE_LIMIT_MAX: '100000' });
    stack.spawnService('processor');
    stack.spawnService('detector', { DETECTOR_CONCURRENCY: '2' });
    [files] = await Promise.all([generateMediaCases(dir), stack.waitForWorkers('detector', 1)]);
    // Every upload at once: the videos queue up behind one another like users' do.
    const uploads = await Promise.all(mediaCases.map(async (c) => [c.name, await stack.upload(files.get(c)!)] as const));
    await Promise.all(uploads.map(async ([name, up]) => outcomes.set(name, await stack.waitForEnd(up.id, 240_000))));
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of mediaCases) {
    it(`${c.name} (${c.file}): completed, each frame once, timestamps from ~0, boxes inside the frame`, async () => {
      const video = outcomes.get(c.name)!;
      assert.equal(video.status, 'completed', JSON.stringify(video.error));
      const expected = countDecodedFrames(files.get(c)!);
      assert.equal(video.progress.frames_total, expected, 'frames analysed = frames ffmpeg decodes');
      const [w, h] = c.displayed ? [c.displayed.width, c.displayed.height] : (c.size ?? '160x90').split('x').map(Number);
      assert.deepEqual([video.video?.width, video.video?.height], [w, h], 'displayed size');
      const frames = await stack.allFrames(video.id);
      assert.deepEqual(frames.map((f) => f.index), Array.from({ length: expected }, (_, i) => i), 'every frame exactly once, in order');
      assert.ok(frames[0]!.timestamp <= 0.1, `first timestamp ${frames[0]!.timestamp} s is about 0`);
      for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.timestamp > frames[i - 1]!.timestamp, `timestamps rise at frame ${i}`);
      for (const f of frames) {
        for (const o of f.objects) {
          const [x1, y1, x2, y2] = o.box;
          assert.ok(x1 >= 0 && y1 >= 0 && x2 <= w! && y2 <= h! && x1 < x2 && y1 < y2, `frame ${f.index}: box ${JSON.stringify(o.box)} inside ${w}x${h}`);
        }
      }
    });
  }

  it('found people in the real content (so the box checks above are not vacuous)', () => {
    const withPeople = [...outcomes.values()].filter((v) => (v.summary?.person?.frames ?? 0) > 0);
    assert.ok(withPeople.length >= mediaCases.length - 2, `${withPeople.length} of ${mediaCases.length} videos have people`);
  });

  it('refuses what it cannot decode at upload with 415 and the reason, never accepting it to fail later', async () => {
    const audioOnly = path.join(dir, 'audio-only.mp4');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-t', '1', '-i', 'sine', '-c:a', 'aac', audioOnly]);
    const garbage = path.join(dir, 'notes.mp4');
    writeFileSync(garbage, 'PK\u0003\u0004 a zip, not a video'.repeat(50));
    for (const [file, reason] of [
      [audioOnly, /no video stream/],
      [garbage, /ffprobe could not read it/],
    ] as const) {
      const res = await stack.api.http().post('/api/v1/videos').set('authorization', stack.authorization).attach('video', file);
      assert.equal(res.status, 415, `${path.basename(file)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'unsupported_media');
      assert.match(res.body.error.message, reason);
    }
  });
});
