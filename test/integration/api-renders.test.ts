import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AnalysisStatus, classColor, createLogger, DEFAULT_COUNTING, DEFAULT_TRACKER_SETTINGS, newAnalysisRecord, type FrameResult, type RenderResource } from '@video-detect/shared';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { colourDistance, generateClip, pixelAt, referenceFrameRgb } from '../helpers/generated-clip.js';
import { storeVideo } from '../helpers/stored-video.js';

const W = 320;
const H = 240;
const FPS = 25;
const FRAMES = 50;
/** A bottle (track 1) in frames 0-24 only, where the test knows it. */
const BOX: [number, number, number, number] = [40, 60, 200, 180];
const LINE_X = 0.9;

/** Top-level MP4 boxes in file order (size, type): `moov` before `mdat` is what faststart means. */
function topLevelBoxes(file: Buffer): string[] {
  const types: string[] = [];
  for (let offset = 0; offset + 8 <= file.length; ) {
    let size = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(file.readBigUInt64BE(offset + 8));
    types.push(type);
    if (size < 8) break;
    offset += size;
  }
  return types;
}

describe('renders: annotated MP4s on their own queue', () => {
  let api: TestApi;
  let processor: RunningProcessor;
  let alice: string;
  let aliceId: string;
  let bob: string;
  let clip: string;
  let tmp: string;

  const frames: FrameResult[] = Array.from({ length: FRAMES }, (_, index) => ({
    index,
    timestamp: index / FPS,
    objects: index < 25 ? [{ label: 'bottle', class_id: 39, score: 0.8, box: BOX, track_id: 1 }] : [],
  }));

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'vd-renders-'));
    clip = generateClip(tmp, { width: W, height: H, fps: FPS, frames: FRAMES, audio: true, gop: 25 });
    api = await startTestApi({ RENDER_ATTEMPTS: '1', RENDER_PRESET: 'ultrafast' });
    processor = await startProcessor(api.env.config, createLogger('processor', 'silent'));
    const a = await api.login('render-alice');
    [alice, aliceId] = [a.authorization, a.userId];
    bob = (await api.login('render-bob')).authorization;
  });
  after(async () => {
    await processor.close();
    await api.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const post = (videoId: string, body: object, who = alice) => api.http().post(`/api/v1/videos/${videoId}/renders`).set('authorization', who).send(body);
  async function renderEnd(videoId: string, renderId: string): Promise<RenderResource> {
    for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
      const res = await api.http().get(`/api/v1/videos/${videoId}/renders/${renderId}`).set('authorization', alice).expect(200);
      const render = res.body as RenderResource;
      if (render.status === 'completed' || render.status === 'failed') return render;
      assert.ok(Date.now() < deadline, `render still ${render.status}`);
    }
  }
  const download = (url: string, range?: string) => {
    const req = api.http().get(url).set('authorization', alice).buffer(true).parse((res, done) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => done(null, Buffer.concat(parts)));
    });
    return range ? req.set('range', range) : req;
  };
  const storedFiles = () => readdirSync(api.env.storageDir);

  it('renders boxes and counts onto the right frames: H.264 yuv420p faststart, source size, rate and audio, seekable', async () => {
    const video = await storeVideo(api.ctx, { ownerId: aliceId, frames, media: clip, chunkFrames: 16 });
    const analysis = { ...newAnalysisRecord(video.id, { lines: [{ name: 'exit', points: [[LINE_X, 0], [LINE_X, 1]] }], zones: [], ...DEFAULT_COUNTING, tracker: DEFAULT_TRACKER_SETTINGS }), status: AnalysisStatus.Completed };
    await api.ctx.analyses.create({ ...analysis, results: { lines: [{ name: 'exit', counts: {}, crossings: [] }], zones: [] } }, null);

    const first = await post(video.id, { trails: true, analysis_id: analysis.id }).expect(202);
    const again = await post(video.id, { analysis_id: analysis.id, trails: true, track_ids: true }).expect(202);
    assert.equal(again.body.id, first.body.id, 'the same options are the same render');
    assert.equal(first.headers.location, `/api/v1/videos/${video.id}/renders/${first.body.id}`);
    const other = await post(video.id, { classes: ['bottle'] }).expect(202);
    assert.notEqual(other.body.id, first.body.id);

    const render = await renderEnd(video.id, first.body.id as string);
    assert.equal(render.status, 'completed', JSON.stringify(render.error));
    assert.deepEqual(render.progress, { frames_done: FRAMES, frames_total: FRAMES });
    assert.equal(render.links.file, `/api/v1/videos/${video.id}/renders/${render.id}/file`);

    const whole = await download(render.links.file).expect(200).expect('content-type', 'video/mp4').expect('accept-ranges', 'bytes');
    const mp4 = whole.body as Buffer;
    assert.equal(mp4.length, render.size_bytes);
    const part = await download(render.links.file, 'bytes=100-199').expect(206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${mp4.length}`);
    assert.deepEqual(part.body, mp4.subarray(100, 200));
    const boxes = topLevelBoxes(mp4);
    assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), `faststart: ${boxes.join(' ')}`);

    const file = path.join(tmp, 'render.mp4');
    writeFileSync(file, mp4);
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,pix_fmt,width,height,avg_frame_rate,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' })) as { streams: Array<Record<string, string | number>> };
    const v = probe.streams.find((s) => s.codec_type === 'video')!;
    assert.deepEqual([v.codec_name, v.pix_fmt, v.width, v.height, v.avg_frame_rate, v.nb_read_frames], ['h264', 'yuv420p', W, H, '25/1', String(FRAMES)]);
    assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac', 'the source audio is kept');

    const colour = classColor(39);
    const [boxed, unboxed, source10] = [referenceFrameRgb(file, 10, W, H), referenceFrameRgb(file, 30, W, H), referenceFrameRgb(clip, 10, W, H)];
    assert.ok(colourDistance(pixelAt(boxed, W, BOX[0] + 2, 120), colour) < 40, `left edge of frame 10: ${pixelAt(boxed, W, BOX[0] + 2, 120).join()}`);
    assert.ok(colourDistance(pixelAt(boxed, W, 120, BOX[3] - 2), colour) < 40, 'bottom edge of frame 10');
    assert.ok(colourDistance(pixelAt(boxed, W, 120, 120), pixelAt(source10, W, 120, 120)) < 30, 'inside the box is the source frame');
    assert.ok(colourDistance(pixelAt(unboxed, W, BOX[0] + 2, 120), colour) > 60, 'frame 30 has no box');
    const lineX = Math.round(LINE_X * W);
    assert.ok(colourDistance(pixelAt(unboxed, W, lineX, 200), [255, 230, 0]) < 50, `the counting line: ${pixelAt(unboxed, W, lineX, 200).join()}`);

    const events = await api.ctx.videos.events.after(aliceId, '0-0', 1000);
    const done = events.find((e) => e.type === 'render.completed' && (JSON.parse(e.data) as { id: string }).id === render.id);
    assert.ok(done, 'render.completed is announced');

    assert.equal((await renderEnd(video.id, other.body.id as string)).status, 'completed');
    assert.equal(storedFiles().filter((f) => f.includes('.render-')).length >= 2, true);
    await api.http().delete(`/api/v1/videos/${video.id}`).set('authorization', alice).expect(204);
    assert.deepEqual(storedFiles().filter((f) => f.startsWith(video.id) || f.includes(video.id)), [], 'deleting the video deletes its renders');
  });

  it('a render that fails ends failed with the reason and leaves no file behind', async () => {
    const video = await storeVideo(api.ctx, { ownerId: aliceId, frames, media: clip, chunkFrames: 16 });
    // The stored upload replaced by garbage (through the storage, as an upload is written).
    await api.ctx.uploads.put(video.file, Readable.from([Buffer.alloc(4096, 7)]));
    await api.ctx.uploads.promote(video.file);
    const res = await post(video.id, {}).expect(202);
    const render = await renderEnd(video.id, res.body.id as string);
    assert.equal(render.status, 'failed');
    assert.equal(render.error?.code, 'unreadable_video');
    assert.match(render.error?.message ?? '', /ffprobe/);
    assert.deepEqual(storedFiles().filter((f) => f.includes(`render-${render.id}`)), []);
    assertError((await api.http().get(`/api/v1/videos/${video.id}/renders/${render.id}/file`).set('authorization', alice).expect(409)).body, 'render_not_completed');
    const events = await api.ctx.videos.events.after(aliceId, '0-0', 1000);
    assert.ok(events.some((e) => e.type === 'render.failed' && (JSON.parse(e.data) as { id: string }).id === render.id));
  });

  it('bad input: not completed 409, another user 404, bad options 400, unknown analysis 404', async () => {
    const video = await storeVideo(api.ctx, { ownerId: aliceId, frames: frames.slice(0, 16), processing: true });
    assertError((await post(video.id, {}).expect(409)).body, 'video_not_completed');
    const done = await storeVideo(api.ctx, { ownerId: aliceId, frames: frames.slice(0, 16) });
    assertError((await post(done.id, {}, bob).expect(404)).body, 'video_not_found');
    assertError((await post(done.id, { min_score: 2 }).expect(400)).body, 'invalid_request');
    assertError((await post(done.id, { classes: [] }).expect(400)).body, 'invalid_request');
    assertError((await post(done.id, { analysis_id: '00000000-0000-4000-8000-000000000000' }).expect(404)).body, 'analysis_not_found');
    assertError((await api.http().get(`/api/v1/videos/${done.id}/renders/00000000-0000-4000-8000-000000000000`).set('authorization', alice).expect(404)).body, 'render_not_found');
  });
});
