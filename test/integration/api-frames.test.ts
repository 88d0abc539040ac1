import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classColor, type FrameResult } from '@video-detect/shared';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { colourDistance, generateClip, meanAbsDiff, pixelAt, referenceFrameRgb } from '../helpers/generated-clip.js';
import { storeVideo } from '../helpers/stored-video.js';

const W = 320;
const H = 240;
const FRAMES = 60;
/** A bottle box on every 10th frame (an analysed frame), at a place known to the test. */
const BOX: [number, number, number, number] = [40, 60, 200, 180];

describe('frame snapshots: frame-exact JPEGs with optional boxes', () => {
  let api: TestApi;
  let alice: string;
  let bob: string;
  let videoId: string;
  let clip: string;
  let tmp: string;

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'vd-frames-'));
    clip = generateClip(tmp, { width: W, height: H, fps: 25, frames: FRAMES, audio: false, gop: 25 });
    api = await startTestApi();
    const a = await api.login('frames-alice');
    alice = a.authorization;
    bob = (await api.login('frames-bob')).authorization;
    const frames: FrameResult[] = Array.from({ length: FRAMES }, (_, index) => ({
      index,
      timestamp: index / 25,
      objects: index % 10 === 0 ? [{ label: 'bottle', class_id: 39, score: 0.8, box: BOX, track_id: 1 }] : [],
    }));
    const track = { id: 1, label: 'bottle', class_id: 39, first_frame: 0, last_frame: 50, start: 0, end: 2, frames: 6, max_score: 0.8, mean_score: 0.8, best: { index: 30, box: BOX, score: 0.8 } };
    videoId = (await storeVideo(api.ctx, { ownerId: a.userId, frames, media: clip, chunkFrames: 16, tracks: [track] })).id;
  });
  after(async () => {
    await api.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const frame = (query: string, who = alice) => api.http().get(`/api/v1/videos/${videoId}/frames/${query}`).set('authorization', who);
  const rgbOf = async (jpeg: Buffer) => {
    const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };

  it('decodes the frame asked for, not a neighbour, after a seek past a keyframe', async () => {
    await Promise.all(
      [0, 31, 37, 59].map(async (index) => {
        const res = await frame(`${index}.jpg`).expect(200).expect('content-type', 'image/jpeg');
        const ours = await rgbOf(res.body as Buffer);
        assert.deepEqual([ours.width, ours.height], [W, H]);
        const same = meanAbsDiff(ours.data, referenceFrameRgb(clip, index, W, H));
        for (const other of [index - 1, index + 1].filter((i) => i >= 0 && i < FRAMES)) {
          const diff = meanAbsDiff(ours.data, referenceFrameRgb(clip, other, W, H));
          assert.ok(same < diff / 2, `frame ${index}: ${same.toFixed(2)} from the reference, ${diff.toFixed(2)} from frame ${other}`);
        }
        assert.ok(same < 4, `frame ${index} is the reference (mean difference ${same.toFixed(2)})`);
      }),
    );
  });

  it('draws the stored boxes on their own frame: the box edge in its class colour, the inside untouched', async () => {
    const [plain, boxed, other] = await Promise.all([frame('30.jpg'), frame('30.jpg?boxes=true'), frame('31.jpg?boxes=true')].map(async (r) => rgbOf((await r.expect(200)).body as Buffer)));
    const colour = classColor(39);
    // The left edge, halfway down (the label tab is at the top).
    assert.ok(colourDistance(pixelAt(boxed!.data, W, BOX[0] + 2, 120), colour) < 40, `edge ${pixelAt(boxed!.data, W, BOX[0] + 2, 120).join()} vs ${colour.join()}`);
    assert.ok(colourDistance(pixelAt(boxed!.data, W, BOX[2] - 2, 150), colour) < 40, `right edge ${pixelAt(boxed!.data, W, BOX[2] - 2, 150).join()}`);
    assert.ok(colourDistance(pixelAt(plain!.data, W, BOX[0] + 2, 120), colour) > 60, 'the plain frame has no box there');
    assert.ok(colourDistance(pixelAt(boxed!.data, W, 120, 120), pixelAt(plain!.data, W, 120, 120)) < 25, 'inside the box is the frame');
    assert.ok(colourDistance(pixelAt(other!.data, W, BOX[0] + 2, 120), colour) > 60, 'frame 31 has no box (not analysed)');
  });

  it("the video's links and a track's best box name their frame snapshot", async () => {
    const video = (await api.http().get(`/api/v1/videos/${videoId}`).set('authorization', alice).expect(200)).body as { links: Record<string, string | null> };
    assert.equal(video.links.frames, `/api/v1/videos/${videoId}/frames/{index}.jpg`);
    assert.equal(video.links.export, `/api/v1/videos/${videoId}/export?format=jsonl`);
    assert.equal(video.links.renders, `/api/v1/videos/${videoId}/renders`);
    const tracks = (await api.http().get(`/api/v1/videos/${videoId}/tracks`).set('authorization', alice).expect(200)).body as { items: Array<{ best: { frame: string } }> };
    assert.equal(tracks.items[0]!.best.frame, `/api/v1/videos/${videoId}/frames/30.jpg?boxes=true`);
    await api.http().get(tracks.items[0]!.best.frame).set('authorization', alice).expect(200).expect('content-type', 'image/jpeg');
  });

  it('max_width scales down keeping the aspect; ETag answers 304 and changes with the options', async () => {
    const small = await frame('5.jpg?max_width=160').expect(200);
    const img = await rgbOf(small.body as Buffer);
    assert.deepEqual([img.width, img.height], [160, 120]);
    const etag = small.headers.etag!;
    assert.match(etag, /^"[\w-]+"$/);
    await frame('5.jpg?max_width=160').set('if-none-match', etag).expect(304);
    const full = await frame('5.jpg').expect(200);
    assert.notEqual(full.headers.etag, etag);
    assert.match(full.headers['cache-control'] ?? '', /max-age/);
  });

  it('opens through a signed media URL without the Authorization header (the one media guard)', async () => {
    const signed = await api.http().post(`/api/v1/videos/${videoId}/media-urls`).set('authorization', alice).send({ resources: ['frames/7.jpg'] }).expect(200);
    const url = (signed.body as { items: Array<{ url: string }> }).items[0]!.url;
    await api.http().get(url).expect(200).expect('content-type', 'image/jpeg');
    await api.http().get(url.replace('frames/7.jpg', 'frames/8.jpg')).expect(401);
  });

  it('bad input: a frame outside the video 404, another user 404, a bad index or width 400', async () => {
    assertError((await frame(`${FRAMES}.jpg`).expect(404)).body, 'frame_not_found');
    assertError((await frame('0.jpg', bob).expect(404)).body, 'video_not_found');
    assertError((await frame('-1.jpg').expect(400)).body, 'invalid_request');
    assertError((await frame('1.5.jpg').expect(400)).body, 'invalid_request');
    assertError((await frame('0.jpg?max_width=abc').expect(400)).body, 'invalid_request');
    await api.http().get(`/api/v1/videos/${videoId}/frames/0.jpg`).expect(401);
  });
});
