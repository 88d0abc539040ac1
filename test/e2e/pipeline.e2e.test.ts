import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FrameResult } from '@video-detect/shared';
import { countDecodedFrames, TestStack, type VideoBody } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

/** Displayed sizes, from ../shared/media/README.md. */
const media: Record<string, { width: number; height: number }> = {
  'friday.mp4': { width: 640, height: 480 },
  'iphone_rotated.mov': { width: 320, height: 568 },
  'flower.webm': { width: 960, height: 540 },
  'car-detection.mp4': { width: 768, height: 432 },
  'bottle-detection.mp4': { width: 640, height: 360 },
  'one-by-one-person-detection.mp4': { width: 768, height: 432 },
};

function checkFrames(name: string, video: VideoBody, frames: FrameResult[], expectedIndices: number[]) {
  const { width, height } = media[name] as { width: number; height: number };
  assert.equal(video.video?.width, width, `${name} displayed width`);
  assert.equal(video.video?.height, height, `${name} displayed height`);
  assert.deepEqual(frames.map((f) => f.index), expectedIndices, `${name}: every analysed index once, in order`);
  for (let i = 1; i < frames.length; i++) {
    assert.ok((frames[i] as FrameResult).timestamp > (frames[i - 1] as FrameResult).timestamp, `${name}: timestamps rise at ${i}`);
  }
  for (const f of frames) {
    for (const o of f.objects) {
      const [x1, y1, x2, y2] = o.box;
      assert.ok(x1 >= 0 && y1 >= 0 && x2 <= width && y2 <= height && x1 <= x2 && y1 <= y2, `${name} frame ${f.index}: box ${o.box.join(',')} inside ${width}x${height}`);
      assert.ok(o.score >= 0 && o.score <= 1);
    }
  }
}

/**
 * one-by-one-person-detection.mp4, as seen frame by frame (ffmpeg, one frame a second): six people
 * in turn walk in from the bottom, stand at the table and leave past its right, never two at once.
 * Each is first and last seen (in part) at these whole seconds.
 */
const visits: Array<[number, number]> = [[6, 19], [23, 44], [50, 69], [75, 86], [92, 119], [123, 135]];

async function checkOneByOne(stack: TestStack, id: string, video: VideoBody): Promise<void> {
  const get = async <T>(path: string): Promise<T> => (await stack.api.http().get(`/api/v1/videos/${id}${path}`).set('authorization', stack.authorization).expect(200)).body as T;
  assert.equal(video.summary?.person?.tracks, 6, `six people: ${JSON.stringify(video.summary)}`);
  const people = (await get<{ items: Array<{ start: number; end: number }> }>('/tracks?class=person')).items;
  assert.equal(people.length, 6);
  for (const [i, [start, end]] of visits.entries()) {
    const track = people[i]!;
    assert.ok(Math.abs(track.start - start) <= 1.5 && Math.abs(track.end - end) <= 1, `person ${i + 1}: ${track.start}-${track.end}, seen ${start}-${end}`);
  }
  assert.equal((await get<{ items: unknown[] }>('/segments?class=person')).items.length, 6, 'six presence segments');
  // A line past the table on the right (top to bottom: leaving to the right is `in`) and a zone around where people stand.
  const analysis = { lines: [{ name: 'exit', points: [[0.8, 0], [0.8, 1]] }], zones: [{ name: 'table', polygon: [[0.3, 0.6], [0.75, 0.6], [0.75, 1], [0.3, 1]] }] };
  const res = await stack.api.http().post(`/api/v1/videos/${id}/analyses`).set('authorization', stack.authorization).send(analysis).expect(202);
  type Done = { status: string; lines: Array<{ counts: unknown; crossings: Array<{ timestamp: number }> }>; zones: Array<{ counts: unknown; max_occupancy: number }> };
  let done: Done;
  for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
    done = await get<Done>(`/analyses/${res.body.id}`);
    if (done.status === 'completed' || done.status === 'failed') break;
    assert.ok(Date.now() < deadline, `analysis still ${done.status}`);
  }
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.lines[0]?.counts, { person: { in: 6, out: 0 } });
  for (const [i, c] of done.lines[0].crossings.entries()) assert.ok(Math.abs(c.timestamp - visits[i]![1]) <= 1, `leaves at ${c.timestamp}, seen ${visits[i]![1]}`);
  assert.deepEqual(done.zones[0]?.counts, { person: { entries: 6, exits: 6 } });
  assert.equal(done.zones[0]?.max_occupancy, 1, 'one at a time');
}

describe('end to end: upload -> chunks -> detectors -> merge -> paged detections', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start({ CHUNK_FRAMES: '96', DETECTOR_INTRA_OP_THREADS: '1' });
    stack.spawnService('processor');
    stack.spawnService('detector');
    stack.spawnService('detector');
    await stack.waitForWorkers('processor', 1);
    await stack.waitForWorkers('detector', 2);
  });
  after(async () => {
    await stack.stop();
  });

  it('analyses every frame of every shared video exactly once, in the displayed orientation', async () => {
    const uploads = new Map<string, VideoBody>();
    for (const name of Object.keys(media)) uploads.set(name, await stack.upload(mediaPath(name)));
    let sawProgress = false;
    for (const [name, up] of uploads) {
      const video = await stack.waitForEnd(up.id, 600_000, (v) => {
        if (v.status === 'processing' && v.progress.frames_done > 0 && v.progress.frames_done < (v.progress.frames_total ?? 0)) sawProgress = true;
      });
      assert.equal(video.status, 'completed', `${name}: ${JSON.stringify(video.error)}`);
      const decoded = countDecodedFrames(mediaPath(name));
      assert.equal(video.progress.frames_total, decoded, `${name}: frames_total = ffprobe -count_frames`);
      assert.equal(video.video?.frame_count, decoded);
      assert.equal(video.progress.frames_done, decoded);
      assert.equal(video.progress.chunks_done, video.progress.chunks_total);
      assert.ok(video.model?.name, 'model named');
      const frames = await stack.allFrames(up.id);
      checkFrames(name, video, frames, Array.from({ length: decoded }, (_, i) => i));

      if (name === 'bottle-detection.mp4') {
        const withBottles = frames.filter((f) => f.objects.some((o) => o.label === 'bottle')).length;
        assert.ok(withBottles / frames.length > 0.8, `bottles on most frames (${withBottles}/${frames.length})`);
        assert.equal(video.summary?.bottle?.frames, withBottles);
      }
      if (name === 'iphone_rotated.mov') assert.equal(frames.filter((f) => f.objects.some((o) => o.score >= 0.5)).length, 0, 'a plain wall');
      if (name === 'one-by-one-person-detection.mp4') {
        const people = frames.filter((f) => f.objects.some((o) => o.label === 'person')).length;
        const empty = frames.filter((f) => f.objects.length === 0).length;
        assert.ok(people > 100 && empty > 100, `people come and go (${people} with a person, ${empty} empty)`);
        await checkOneByOne(stack, up.id, video);
      }
    }
    assert.ok(sawProgress, 'progress was visible while processing');
  });

  it('sample_fps cuts the analysed frames to at most that many per second', async () => {
    const name = 'bottle-detection.mp4';
    const up = await stack.upload(mediaPath(name), { sample_fps: '2', min_score: '0.5', classes: 'bottle' });
    const video = await stack.waitForEnd(up.id, 300_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    // 1189 frames at 179/6 fps = 39.85 s: one frame per half second -> 80 frames.
    assert.equal(video.progress.frames_total, 80);
    const frames = await stack.allFrames(up.id, 7);
    assert.equal(frames.length, 80);
    for (let i = 1; i < frames.length; i++) {
      const gap = (frames[i] as FrameResult).timestamp - (frames[i - 1] as FrameResult).timestamp;
      assert.ok(gap > 0.45 && gap < 0.55, `about 0.5 s apart, got ${gap}`);
    }
    assert.equal(frames[0]?.index, 0);
    assert.ok(frames.every((f) => f.objects.every((o) => o.label === 'bottle' && o.score >= 0.5)));
    assert.ok(frames.filter((f) => f.objects.length > 0).length > 60);
    checkFrames(name, video, frames, frames.map((f) => f.index));
  });

  it('DELETE during processing stops the work and leaves nothing behind', async () => {
    const up = await stack.upload(mediaPath('one-by-one-person-detection.mp4'));
    let deletedWhile: string | null = null;
    // Polling ends with the 404 of the deleted video.
    await stack.waitForEnd(up.id, 120_000, async (v) => {
      if (v.progress.chunks_done >= 1 && deletedWhile === null) {
        deletedWhile = `${v.status} with ${v.progress.chunks_done} of ${v.progress.chunks_total} chunks done`;
        await stack.api.http().delete(`/api/v1/videos/${up.id}`).set('authorization', stack.authorization).expect(204);
      }
    }).catch(() => undefined);
    assert.match(deletedWhile ?? 'never deleted', /^processing with \d+ of \d+ chunks done$/);
    await stack.api.http().get(`/api/v1/videos/${up.id}`).set('authorization', stack.authorization).expect(404);
    // Give a running chunk time to notice; then no key of this video may remain and the queues drain.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const keys = await stack.api.ctx.redis.keys(`${stack.api.env.config.redis.prefix}:video:${up.id}*`);
      const counts = await stack.api.ctx.jobs.queues.detector.getJobCounts('active', 'waiting', 'delayed');
      const pending = (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.delayed ?? 0);
      if (keys.length === 0 && pending === 0) break;
      assert.ok(Date.now() < deadline, `leftovers: ${keys.join(', ')} ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
