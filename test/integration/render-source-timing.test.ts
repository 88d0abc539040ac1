import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, type RenderResource } from '@video-detect/shared';
import { startDetector, type RunningDetector } from '../../services/detector/src/index.js';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath } from '../helpers/test-env.js';

const silent = createLogger('test', 'silent');

/** What ffprobe says about one stream, and the presentation time of each of its decoded frames (what a player shows). */
interface StreamTiming {
  timeBase: number;
  /** The stream's start time (s): for AAC, after the encoder's priming samples, where its sound starts. */
  startTime: number;
  duration: number;
  codec: string;
  frameTimes: number[];
}
function probeStream(file: string, select: 'v:0' | 'a:0'): StreamTiming {
  const run = (entries: string) => execFileSync('ffprobe', ['-v', 'error', '-select_streams', select, '-show_entries', entries, '-of', 'json', file], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const { streams } = JSON.parse(run('stream=codec_name,time_base,start_time,duration')) as { streams: Array<{ codec_name: string; time_base: string; start_time: string; duration: string }> };
  const s = streams[0];
  assert.ok(s, `${path.basename(file)} has a ${select} stream`);
  const [num, den] = s.time_base.split('/').map(Number) as [number, number];
  const frameTimes = select === 'v:0' ? (JSON.parse(run('frame=pts_time')) as { frames: Array<{ pts_time: string }> }).frames.map((f) => Number(f.pts_time)) : [];
  return { timeBase: num / den, startTime: Number(s.start_time), duration: Number(s.duration), codec: s.codec_name, frameTimes };
}

/**
 * A phone-like variable-frame-rate recording with AAC audio, made from real content (people, so
 * the detector finds something): mostly 33 ms between frames, every fifth gap 53 ms, and one
 * 133 ms stall at frame 40, in a 1/90000 time base. Its average rate (~26 fps) describes no frame.
 */
function generateVfrClip(dir: string): string {
  const file = path.join(dir, 'phone-vfr.mp4');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-ss', '2', '-t', '2', '-i', mediaPath('friday.mp4'),
    '-f', 'lavfi', '-t', '2.4', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:v', '-map', '1:a', '-s', '320x240',
    '-vf', 'settb=1/90000,setpts=(N*0.033+0.02*floor(N/5)+0.1*gte(N\\,40))/TB', '-fps_mode', 'passthrough', '-enc_time_base', '1:90000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', file,
  ]);
  return file;
}

/**
 * `clip`'s video (copied) starting `offset` s after AAC audio that starts at 0, as a camera or an
 * edit often leaves it: the MP4's video track begins with an empty edit of that length.
 */
function delayVideo(clip: string, offset: number): string {
  const file = clip.replace(/\.mp4$/, `-video-${offset}s-late.mp4`);
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-itsoffset', String(offset), '-i', clip,
    '-f', 'lavfi', '-t', '3', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '64k', file,
  ]);
  return file;
}

/** A constant-rate 30 fps clip of real content (people), no audio. */
function generateConstantRateClip(dir: string): string {
  const file = path.join(dir, 'constant-30fps.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', '2', '-t', '2', '-i', mediaPath('friday.mp4'), '-an', '-s', '320x240', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
  return file;
}

/** Where the video starts against the audio (s): its first shown frame's time less the audio stream's start. */
function videoAfterAudio(file: string): number {
  return probeStream(file, 'v:0').frameTimes[0]! - probeStream(file, 'a:0').startTime;
}

describe('renders keep the source frame times (variable frame rate, video starting after its audio)', () => {
  let api: TestApi;
  let processor: RunningProcessor;
  let detector: RunningDetector;
  let alice: string;
  let tmp: string;

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'vd-render-vfr-'));
    api = await startTestApi({ RENDER_ATTEMPTS: '1', RENDER_PRESET: 'ultrafast', CHUNK_FRAMES: '32' });
    processor = await startProcessor(api.env.config, silent);
    detector = await startDetector(api.env.config, silent);
    alice = (await api.login('render-vfr-alice')).authorization;
  });
  after(async () => {
    await detector.close();
    await processor.close();
    await api.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function until<T>(what: string, get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    for (const deadline = Date.now() + 180_000; ; await sleep(200)) {
      const value = await get();
      if (done(value)) return value;
      assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(value)}`);
    }
  }

  /** Through the real services: upload, plan, detect, merge, then render; the downloaded render's path. */
  async function uploadAndRender(clip: string): Promise<string> {
    const upload = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', clip).expect(202);
    const videoId = upload.body.id as string;
    const video = await until('the video', async () => (await api.http().get(`/api/v1/videos/${videoId}`).set('authorization', alice).expect(200)).body as { status: string; progress: { frames_total: number }; summary: Record<string, unknown> | null; error: unknown }, (v) => v.status !== 'queued' && v.status !== 'processing');
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    assert.equal(video.progress.frames_total, probeStream(clip, 'v:0').frameTimes.length);
    assert.ok(video.summary && 'person' in video.summary, 'people were found, so the render draws boxes');

    const posted = await api.http().post(`/api/v1/videos/${videoId}/renders`).set('authorization', alice).send({}).expect(202);
    const render = await until('the render', async () => (await api.http().get(`/api/v1/videos/${videoId}/renders/${posted.body.id as string}`).set('authorization', alice).expect(200)).body as RenderResource, (r) => r.status === 'completed' || r.status === 'failed');
    assert.equal(render.status, 'completed', JSON.stringify(render.error));
    assert.ok(render.links.file, 'a completed render links its file');
    const file = clip.replace(/\.mp4$/, '-render.mp4');
    const body = await api.http().get(render.links.file).set('authorization', alice).buffer(true).parse((res, done) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => done(null, Buffer.concat(parts)));
    }).expect(200);
    writeFileSync(file, body.body as Buffer);
    return file;
  }

  it('uploaded, detected and rendered: every frame at its source time, same count and duration, audio kept', async () => {
    const clip = generateVfrClip(tmp);
    const source = probeStream(clip, 'v:0');
    const sourceAudio = probeStream(clip, 'a:0');
    const gaps = source.frameTimes.slice(1).map((t, i) => Math.round((t - source.frameTimes[i]!) * 1000));
    assert.ok(new Set(gaps).size >= 3, `the source is variable-rate (gaps ${[...new Set(gaps)].join(', ')} ms)`);

    const file = await uploadAndRender(clip);
    const rendered = probeStream(file, 'v:0');
    assert.equal(rendered.codec, 'h264');
    assert.equal(rendered.frameTimes.length, source.frameTimes.length, 'every source frame, once');
    // ffprobe prints 6 decimals: a tick plus that rounding.
    const tick = rendered.timeBase + 1e-6;
    const off = rendered.frameTimes.map((t, i) => ({ i, render: t, source: source.frameTimes[i]! })).filter((f) => Math.abs(f.render - f.source) > tick);
    assert.deepEqual(off.slice(0, 5), [], `${off.length} frames not at their source time (tick ${rendered.timeBase} s)`);
    const lastGap = source.frameTimes.at(-1)! - source.frameTimes.at(-2)!;
    assert.ok(Math.abs(rendered.duration - source.duration) <= lastGap, `video duration ${rendered.duration} s, source ${source.duration} s`);

    const audio = probeStream(file, 'a:0');
    assert.equal(audio.codec, 'aac', 'the source audio is kept');
    // Copied: the same samples, so the same length (within one AAC frame of 1024 samples).
    assert.ok(Math.abs(audio.duration - sourceAudio.duration) <= 1024 / 48000, `audio duration ${audio.duration} s, source ${sourceAudio.duration} s`);
  });

  // ffmpeg takes the container's start time off the audio it copies from the source: the piped
  // video has to keep its own distance from that start, or the render loses lip sync.
  for (const [kind, generate] of [['constant-rate', generateConstantRateClip], ['variable-rate', generateVfrClip]] as const) {
    it(`a ${kind} video starting 0.5 s after its audio starts as far after it in the render`, async () => {
      const clip = delayVideo(generate(tmp), 0.5);
      const source = probeStream(clip, 'v:0');
      const sourceOffset = videoAfterAudio(clip);
      assert.ok(Math.abs(sourceOffset - 0.5) < 0.001, `the source's video starts ${sourceOffset} s after its audio`);

      const file = await uploadAndRender(clip);
      assert.equal(probeStream(file, 'v:0').frameTimes.length, source.frameTimes.length, 'every source frame, once (none added to fill the start)');
      const renderOffset = videoAfterAudio(file);
      const frame = source.frameTimes[1]! - source.frameTimes[0]!;
      assert.ok(Math.abs(renderOffset - sourceOffset) <= frame, `the render's video starts ${renderOffset} s after its audio, the source's ${sourceOffset} s (one frame: ${frame} s)`);
    });
  }
});
