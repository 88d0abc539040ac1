import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { listFrameTimestamps, probeVideo } from '@video-detect/shared';
import { FrameDecodeError, FrameDecoder, type FrameRange } from '../../services/detector/src/index.js';
import { mediaFiles, planRange, probeMedia, type ProbedMedia } from '../helpers/detector-fixtures.js';
import { mediaPath } from '../helpers/test-env.js';

const run = promisify(execFile);

/** Frame counts found by decoding (../shared/media/README.md). */
const expectedFrames: Record<string, number> = {
  'bottle-detection.mp4': 1189,
  'car-detection.mp4': 377,
  'one-by-one-person-detection.mp4': 1394,
  'friday.mp4': 185,
  'flower.webm': 150,
  'iphone_rotated.mov': 66,
};

const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

/** sha1 of every frame ffmpeg returns for the range (all frames when null), in order. */
async function frameHashes(media: ProbedMedia, range: FrameRange | null): Promise<string[]> {
  const decoder = new FrameDecoder({
    ffmpegPath: 'ffmpeg',
    file: media.file,
    streamIndex: media.probed.streamIndex,
    width: media.probed.width,
    height: media.probed.height,
    pixelFormat: 'bgr24',
    range,
  });
  const hashes: string[] = [];
  for await (const frame of decoder.frames()) hashes.push(sha1(frame.data));
  return hashes;
}

/** Frame i the way the reference tool counts frames: the whole stream through select=eq(n,i). */
async function frameByCount(media: ProbedMedia, i: number): Promise<string> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', media.file, '-map', `0:${media.probed.streamIndex}`, '-vf', `select=eq(n\\,${i})`, '-fps_mode', 'passthrough', '-frames:v', '1', '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return sha1(stdout);
}

/** Chunk boundaries that cover the video: single-frame chunks at both ends, cuts in mid-GOP. */
function boundaries(n: number): number[] {
  return [...new Set([0, 1, Math.floor(n * 0.13), Math.floor(n * 0.37), Math.floor(n * 0.38) + 1, Math.floor(n * 0.71), n - 1, n])].sort((a, b) => a - b);
}

async function checkChunks(media: ProbedMedia, full: string[]): Promise<void> {
  const cuts = boundaries(full.length);
  for (let c = 0; c + 1 < cuts.length; c++) {
    const [start, end] = [cuts[c]!, cuts[c + 1]!];
    const chunk = await frameHashes(media, planRange(media.pts, start, end));
    assert.equal(chunk.length, end - start, `chunk [${start}, ${end}) frame count`);
    chunk.forEach((h, k) => assert.equal(h, full[start + k], `chunk [${start}, ${end}): frame ${start + k} differs from the full decode`));
  }
}

describe('frame-exact chunk decoding (select by pts window)', () => {
  for (const name of mediaFiles) {
    it(`${name}: chunks return exactly the frames of a full decode`, async () => {
      const media = await probeMedia(name);
      const full = await frameHashes(media, null);
      assert.equal(full.length, expectedFrames[name], 'frames in a full decode');
      assert.equal(media.pts.length, full.length, 'ffprobe packet timestamps vs decoded frames');
      await checkChunks(media, full);
      // The counting the reference tool does agrees on a frame in the middle and the last one.
      for (const i of [Math.floor(full.length / 2), full.length - 1]) assert.equal(await frameByCount(media, i), full[i], `frame ${i} by count`);
    });
  }

  it('displayed orientation: the rotated .mov comes out 320x568, video stream 1', async () => {
    const media = await probeMedia('iphone_rotated.mov');
    assert.deepEqual([media.probed.width, media.probed.height, media.probed.streamIndex, media.probed.rotation], [320, 568, 1, -90]);
    assert.equal(media.pts[0], 0);
    const flower = await probeMedia('flower.webm');
    assert.equal(flower.pts[0], 0.003, 'flower.webm starts at 0.003 s');
  });

  describe('a file whose timestamps start far from zero', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vd-detector-frames-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('seeks and selects in stream time (start 100 s)', async () => {
      const file = path.join(dir, 'offset.mkv');
      await run('ffmpeg', ['-v', 'error', '-i', mediaPath('bottle-detection.mp4'), '-t', '12', '-c', 'copy', '-output_ts_offset', '100', file]);
      const media = await probeMedia('bottle-detection.mp4');
      const shifted: ProbedMedia = { file, probed: { ...media.probed, streamIndex: 0 }, pts: await listFrameTimestamps(file, 0) };
      assert.ok(shifted.pts[0]! >= 100, `first pts ${shifted.pts[0]}`);
      const full = await frameHashes(shifted, null);
      assert.equal(full.length, shifted.pts.length);
      await checkChunks(shifted, full);
    });
  });

  describe('an MPEG-2 transport stream with B-frames starting at 1.5 s (a DVR recording)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vd-detector-ts-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('lists each frame once (packets with side data are not frames) and chunks decode exactly', async () => {
      const file = path.join(dir, 'dvr.ts');
      // 119 frames: the FRAME_COUNT_MISMATCH case; MPEG-2 packets carry CPB side data.
      await run('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-frames:v', '119'],
        ...['-c:v', 'mpeg2video', '-bf', '2', '-g', '12', '-muxdelay', '0', '-muxpreload', '0', '-output_ts_offset', '1.5', '-f', 'mpegts', file],
      ]);
      const probed = await probeVideo(file);
      assert.equal(probed.startTime, 1.5);
      const media: ProbedMedia = { file, probed, pts: await listFrameTimestamps(file, probed.streamIndex) };
      assert.equal(media.pts.length, 119, 'frames listed');
      assert.equal(media.pts[0], 1.5);
      media.pts.forEach((t, i) => i === 0 || assert.ok(t > media.pts[i - 1]!, `pts rise at frame ${i}`));
      const full = await frameHashes(media, null);
      assert.equal(full.length, 119);
      await checkChunks(media, full);
    });
  });

  it('a range whose window does not hold its frame count fails with FRAME_COUNT_MISMATCH', async () => {
    const media = await probeMedia('friday.mp4');
    // The window of frames [10, 20) but a claim of [10, 30).
    const range = { ...planRange(media.pts, 10, 20), endFrame: 30 };
    await assert.rejects(frameHashes(media, range), (err: unknown) => err instanceof FrameDecodeError && err.code === 'FRAME_COUNT_MISMATCH' && /10 of the 20 frames \[10, 30\)/.test(err.message));
    const tooMany = { ...planRange(media.pts, 10, 20), endFrame: 15 };
    await assert.rejects(frameHashes(media, tooMany), (err: unknown) => err instanceof FrameDecodeError && err.code === 'FRAME_COUNT_MISMATCH');
  });

  it('ffmpeg errors name the file and carry its message; a missing ffmpeg says so', async () => {
    const media = await probeMedia('friday.mp4');
    const missing = new FrameDecoder({ ffmpegPath: 'ffmpeg', file: '/nonexistent/video.mp4', streamIndex: 0, width: 8, height: 8, pixelFormat: 'bgr24', range: null });
    await assert.rejects(async () => {
      for await (const _ of missing.frames()) void _;
    }, /FFMPEG_FAILED: .*\/nonexistent\/video\.mp4.*No such file/);
    const noFfmpeg = new FrameDecoder({ ffmpegPath: '/nonexistent/ffmpeg', file: media.file, streamIndex: 1, width: 640, height: 480, pixelFormat: 'bgr24', range: null });
    await assert.rejects(async () => {
      for await (const _ of noFfmpeg.frames()) void _;
    }, /FFMPEG_NOT_FOUND/);
  });
});
