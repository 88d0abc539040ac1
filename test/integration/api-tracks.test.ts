import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChunkLayout,
  createLogger,
  DEFAULT_COUNTING,
  DEFAULT_TRACKER_SETTINGS,
  JobName,
  newAnalysisRecord,
  NO_OPTIONS,
  VideoStatus,
  type AnalysisSettings,
  type VideoRecord,
} from '@video-detect/shared';
import type { AnalysisResource } from '../../services/api/src/analyses/analysis-schemas.js';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { renderScene, straightWalker, type Walker } from '../helpers/synthetic-scene.js';
import { mediaPath } from '../helpers/test-env.js';

const CHUNK = 40;
const feet = (y: number) => y - 80;
/**
 * 20 s at 10 fps on a 1000 x 500 frame, truth known: person A walks left to right (0-6 s, hidden
 * 2.0-2.4 s), a car stands (5-12 s), person B walks right to left (8-14 s), and a one-frame flash
 * at 16 s is never a track. A and B cross the vertical line x = 0.5 at 3 s and 11 s.
 */
const walkers: Walker[] = [
  straightWalker([100, feet(300)], [900, feet(300)], 0, 6, { hidden: [[2, 2.4]] }),
  { label: 'car', from: 5, to: 12, size: [200, 100], centre: () => [750, 150] },
  straightWalker([900, feet(450)], [100, feet(450)], 8, 14),
  straightWalker([300, 300], [300, 300], 16, 16),
];
const door = { name: 'door', points: [[0.5, 0], [0.5, 1]] as [[number, number], [number, number]] };
const parking = { name: 'parking', polygon: [[0.6, 0.1], [0.9, 0.1], [0.9, 0.5], [0.6, 0.5]] as Array<[number, number]> };

describe('tracks, segments, timeline and analyses over stored detections', () => {
  let api: TestApi;
  let processor: RunningProcessor;
  let alice: string;
  let aliceId: string;
  let bob: string;
  let tracked: string;
  let untracked: string;

  /** A video as the detectors leave it (every chunk stored, processing), then its merge job: the processor tracks and completes it. */
  async function storedVideo(options: { tracking: boolean; analysis?: AnalysisSettings }): Promise<string> {
    const id = randomUUID();
    const { frames } = renderScene(walkers, { fps: 10, duration: 20, jitter: 1 });
    const layout = new ChunkLayout(frames.length, CHUNK);
    const record: VideoRecord = {
      ...{ id, owner_id: aliceId, status: VideoStatus.Processing, filename: 'scene.mp4', client_tag: null, file: `${id}.mp4`, size_bytes: 1, created_at: new Date().toISOString() },
      ...{ started_at: new Date().toISOString(), completed_at: null, video: { duration: 20, fps: 10, width: 1000, height: 500, frame_count: 200, codec: 'h264', rotation: 0 } },
      options: { ...NO_OPTIONS, tracking: options.tracking, tracker: options.tracking ? DEFAULT_TRACKER_SETTINGS : null },
      ...{ frames_total: frames.length, chunks_total: layout.count, chunk_frames: CHUNK, chunk_layout: 'even', model: null, summary: null, error: null },
    };
    await api.ctx.videos.create(record);
    if (options.analysis) await api.ctx.analyses.create(newAnalysisRecord(id, options.analysis), null);
    for (let c = 0; c < layout.count; c++) {
      const chunk = frames.slice(layout.start(c), layout.start(c) + layout.size(c));
      await api.ctx.videos.saveChunkResult(id, c, JSON.stringify(chunk), chunk.length);
    }
    await api.ctx.videos.saveChunkTimes(id, Array.from({ length: layout.count }, (_, c) => frames[layout.start(c)]!.timestamp));
    await api.ctx.jobs.add(JobName.Merge, { videoId: id, chunksTotal: layout.count });
    for (const deadline = Date.now() + 30_000; (await api.ctx.videos.getStatus(id)) === VideoStatus.Processing; await sleep(50)) {
      assert.ok(Date.now() < deadline, 'the video completes');
    }
    return id;
  }

  const get = (path: string, who = alice) => api.http().get(path).set('authorization', who);
  /** The analysis once it has ended (its resource as the API answers it). */
  async function analysisDone(videoId: string, analysisId: string): Promise<AnalysisResource> {
    for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
      const res = await get(`/api/v1/videos/${videoId}/analyses/${analysisId}`).expect(200);
      if (res.body.status === 'completed' || res.body.status === 'failed') return res.body as AnalysisResource;
      assert.ok(Date.now() < deadline, `analysis still ${res.body.status}`);
    }
  }

  before(async () => {
    api = await startTestApi({ CHUNK_FRAMES: String(CHUNK) });
    processor = await startProcessor(api.env.config, createLogger('processor', 'silent'));
    alice = (await api.login('alice')).authorization;
    aliceId = (await api.ctx.users.findByUsername('alice'))!.id;
    bob = (await api.login('bob')).authorization;
    const atUpload = { ...DEFAULT_COUNTING, tracker: DEFAULT_TRACKER_SETTINGS, lines: [door], zones: [parking] };
    tracked = await storedVideo({ tracking: true, analysis: atUpload });
    untracked = await storedVideo({ tracking: false });
  });
  after(async () => {
    await processor.close();
    await api.close();
  });

  it('gives each distinct object one track, in the summary too, and a track_id on every box (null for the flash)', async () => {
    const video = (await get(`/api/v1/videos/${tracked}`).expect(200)).body;
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    assert.equal(video.summary.person.tracks, 2);
    assert.equal(video.summary.car.tracks, 1);
    assert.equal(video.links.tracks, `/api/v1/videos/${tracked}/tracks`);
    const { items, next_offset } = (await get(`/api/v1/videos/${tracked}/tracks`).expect(200)).body;
    assert.equal(next_offset, null);
    assert.deepEqual(items.map((t: { id: number; label: string; start: number; end: number }) => [t.id, t.label, t.start, t.end]), [
      [1, 'person', 0, 6],
      [2, 'car', 5, 12],
      [3, 'person', 8, 14],
    ]);
    assert.equal(items[0].frames, 61 - 4, 'A is hidden for 4 frames');
    assert.ok(items[0].best.index >= 0 && items[0].best.box.length === 4);
    const page = (await get(`/api/v1/videos/${tracked}/detections?offset=160&limit=1`).expect(200)).body;
    assert.deepEqual(page.frames[0].objects.map((o: { track_id: number | null }) => o.track_id), [null], 'the flash at 16 s');
  });

  it('pages and filters tracks by class and minimum duration', async () => {
    const first = (await get(`/api/v1/videos/${tracked}/tracks?limit=2`).expect(200)).body;
    assert.deepEqual([first.items.map((t: { id: number }) => t.id), first.next_offset], [[1, 2], 2]);
    const rest = (await get(`/api/v1/videos/${tracked}/tracks?offset=2&limit=2`).expect(200)).body;
    assert.deepEqual([rest.items.map((t: { id: number }) => t.id), rest.next_offset], [[3], null]);
    const cars = (await get(`/api/v1/videos/${tracked}/tracks?class=car`).expect(200)).body;
    assert.deepEqual(cars.items.map((t: { id: number }) => t.id), [2]);
    const long = (await get(`/api/v1/videos/${tracked}/tracks?min_duration=6.5`).expect(200)).body;
    assert.deepEqual(long.items.map((t: { id: number }) => t.id), [2]);
  });

  it('answers a track with its path', async () => {
    const track = (await get(`/api/v1/videos/${tracked}/tracks/3`).expect(200)).body;
    assert.equal(track.label, 'person');
    assert.equal(track.path.length, 61);
    assert.deepEqual([track.path[0].index, track.path.at(-1).index], [80, 140]);
    assertError((await get(`/api/v1/videos/${tracked}/tracks/4`).expect(404)).body, 'track_not_found');
    await get(`/api/v1/videos/${tracked}/tracks/1`, bob).expect(404);
  });

  it('filters detections by track and time range', async () => {
    const a = (await get(`/api/v1/videos/${tracked}/detections?track_id=1&limit=1000`).expect(200)).body;
    assert.deepEqual([a.frames[0].index, a.frames.at(-1).index, a.frames.length, a.next_offset], [0, 60, 61, null]);
    assert.ok(a.frames.every((f: { objects: Array<{ track_id: number }> }) => f.objects.every((o) => o.track_id === 1)));
    const range = (await get(`/api/v1/videos/${tracked}/detections?from=8&to=9&limit=5`).expect(200)).body;
    assert.deepEqual([range.frames.map((f: { index: number }) => f.index), range.next_offset], [[80, 81, 82, 83, 84], 85]);
    const next = (await get(`/api/v1/videos/${tracked}/detections?from=8&to=9&offset=85&limit=50`).expect(200)).body;
    assert.deepEqual([next.frames.length, next.frames.at(-1).index, next.next_offset], [6, 90, null]);
    assertError((await get(`/api/v1/videos/${tracked}/detections?from=9&to=8`).expect(400)).body, 'invalid_request');
    assert.match((await get(`/api/v1/videos/${tracked}/detections?from=9&to=8`)).body.error.message, /\bto\b/);
  });

  it('answers presence segments with the gap rule, and a timeline per bucket', async () => {
    const segments = (await get(`/api/v1/videos/${tracked}/segments`).expect(200)).body;
    assert.deepEqual(segments.items, [
      { label: 'person', start: 0, end: 6, max_objects: 1 },
      { label: 'car', start: 5, end: 12, max_objects: 1 },
      { label: 'person', start: 8, end: 14, max_objects: 1 },
    ]);
    const joined = (await get(`/api/v1/videos/${tracked}/segments?class=person&gap=2.5`).expect(200)).body;
    assert.deepEqual(joined.items, [{ label: 'person', start: 0, end: 14, max_objects: 1 }]);
    const timeline = (await get(`/api/v1/videos/${tracked}/timeline?bucket=5`).expect(200)).body;
    assert.deepEqual(timeline, {
      bucket: 5,
      items: [
        { start: 0, label: 'person', tracks: 1, max_objects: 1 },
        { start: 5, label: 'car', tracks: 1, max_objects: 1 },
        { start: 5, label: 'person', tracks: 2, max_objects: 1 },
        { start: 10, label: 'car', tracks: 1, max_objects: 1 },
        { start: 10, label: 'person', tracks: 1, max_objects: 1 },
      ],
    });
    assert.match((await get(`/api/v1/videos/${tracked}/timeline?bucket=0.001`).expect(400)).body.error.message, /bucket/);
  });

  it('runs the analysis asked for at upload once the video is completed, and more later, each with its own id', async () => {
    const list = (await get(`/api/v1/videos/${tracked}/analyses`).expect(200)).body;
    assert.equal(list.items.length, 1);
    const atUpload = await analysisDone(tracked, list.items[0].id);
    assert.equal(atUpload.status, 'completed', JSON.stringify(atUpload.error));
    const [line] = atUpload.lines;
    assert.ok(line?.crossings);
    assert.deepEqual(line.points_px, [[500, 0], [500, 500]]);
    assert.deepEqual(line.counts, { person: { in: 1, out: 1 } });
    assert.deepEqual(line.crossings.map((c: { track_id: number; direction: string; timestamp: number }) => [c.track_id, c.direction, c.timestamp]), [
      [1, 'in', 3.1],
      [3, 'out', 11.1],
    ]);
    const [zone] = atUpload.zones;
    assert.ok(zone);
    assert.deepEqual(zone.counts, { car: { entries: 1, exits: 0 } });
    assert.deepEqual(zone.visits, [{ track_id: 2, label: 'car', enter: 5, exit: 12, dwell: 7, exited: false }]);
    assert.deepEqual(zone.occupancy, [{ timestamp: 5, objects: 1 }, { timestamp: 12, objects: 0 }]);

    // Re-analysis: a horizontal line, and tracker settings that make the flash a track of its own.
    const res = await api
      .http()
      .post(`/api/v1/videos/${tracked}/analyses`)
      .set('authorization', alice)
      .send({ lines: [{ name: 'h', points: [[0, 0.5], [1, 0.5]] }], tracker: { min_hits: 1 }, anchor: 'center' })
      .expect(202);
    assert.equal(res.headers.location, res.body.links.self);
    assert.equal(res.body.tracker.min_hits, 1);
    assert.equal(res.body.tracker.max_gap, DEFAULT_TRACKER_SETTINGS.max_gap, 'the rest from the video');
    const again = await analysisDone(tracked, res.body.id);
    assert.equal(again.status, 'completed');
    assert.deepEqual(again.lines[0]?.counts, {}, 'nobody crosses y = 250 with the box centre');
    assert.equal((await get(`/api/v1/videos/${tracked}/analyses`).expect(200)).body.items.length, 2);
  });

  it('refuses bad analyses with 400 naming the field, a video not completed with 409, and stores nothing for them', async () => {
    const post = (body: unknown, id = tracked, who = alice) => api.http().post(`/api/v1/videos/${id}/analyses`).set('authorization', who).send(body as object);
    const before = (await api.ctx.analyses.list(tracked)).length;
    const jobsBefore = await api.ctx.jobs.queues.processor.getJobCountByTypes('completed', 'waiting', 'active', 'delayed', 'failed');
    const cases: Array<[unknown, RegExp]> = [
      [{}, /lines: give at least one line or zone/],
      [{ lines: [{ name: 'a', points: [[0.5, 1.5], [0, 0]] }] }, /lines\.0\.points\.0\.1/],
      [{ lines: [{ name: 'a', points: [[0.5, 0.5], [0.5, 0.5]] }] }, /lines\.0\.points: the two points must differ/],
      [{ zones: [{ name: 'z', polygon: [[0, 0], [1, 1]] }] }, /zones\.0\.polygon: a zone needs at least 3 points/],
      [{ zones: [{ name: 'z', polygon: [[0, 0], [0.5, 0.5], [1, 1]] }] }, /zones\.0\.polygon: the polygon has no area/],
      [{ zones: [{ name: 'z', polygon: Array.from({ length: 65 }, (_, i) => [i / 65, (i % 2) / 2]) }] }, /zones\.0\.polygon: a zone has at most 64 points/],
      [{ lines: Array.from({ length: 17 }, (_, i) => ({ name: `l${i}`, points: [[0, 0], [1, 1]] })) }, /lines:/],
      [{ lines: [door, door] }, /lines\.1\.name: "door" is used twice/],
      [{ lines: [door], tracker: { low_score: 0.9 } }, /tracker\.low_score: must not exceed high_score/],
      [{ lines: [door], anchor: 'feet' }, /anchor/],
      [{ lines: 'door' }, /lines/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body).expect(400);
      assertError(res.body, 'invalid_request');
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
    const broken = await api.http().post(`/api/v1/videos/${tracked}/analyses`).set('authorization', alice).set('content-type', 'application/json').send('{"lines": [').expect(400);
    assertError(broken.body, 'invalid_json');
    await post({ lines: [door] }, tracked, bob).expect(404);

    const running = randomUUID();
    await api.ctx.videos.create({ ...(await api.ctx.videos.get(tracked))!, id: running, status: VideoStatus.Processing });
    assertError((await post({ lines: [door] }, running).expect(409)).body, 'video_not_completed');
    assert.deepEqual(await api.ctx.analyses.list(running), []);

    assert.equal((await api.ctx.analyses.list(tracked)).length, before, 'nothing stored');
    assert.deepEqual(await api.ctx.jobs.queues.processor.getJobCountByTypes('completed', 'waiting', 'active', 'delayed', 'failed'), jobsBefore, 'no job added');
  });

  it('leaves a video uploaded with tracking off untracked: null track ids, 409 for tracks, analyses still work', async () => {
    const video = (await get(`/api/v1/videos/${untracked}`).expect(200)).body;
    assert.equal(video.status, 'completed');
    assert.deepEqual(video.options, { ...NO_OPTIONS, tracking: false, tracker: null });
    assert.equal(video.summary.person.tracks, undefined);
    const page = (await get(`/api/v1/videos/${untracked}/detections?limit=1`).expect(200)).body;
    assert.deepEqual(page.frames[0].objects.map((o: { track_id: number | null }) => o.track_id), [null]);
    for (const path of ['tracks', 'segments', 'timeline']) assertError((await get(`/api/v1/videos/${untracked}/${path}`).expect(409)).body, 'tracking_off');
    const res = await api.http().post(`/api/v1/videos/${untracked}/analyses`).set('authorization', alice).send({ lines: [door] }).expect(202);
    assert.deepEqual((await analysisDone(untracked, res.body.id)).lines[0]?.counts, { person: { in: 1, out: 1 } });
  });

  it('takes tracking settings and an analysis at upload; refuses bad ones with 400 naming the field and keeps no file', async () => {
    const upload = (fields: Record<string, string>) => {
      const req = api.http().post('/api/v1/videos').set('authorization', alice);
      for (const [k, v] of Object.entries(fields)) req.field(k, v);
      return req.attach('video', mediaPath('friday.mp4'));
    };
    const ok = await upload({ tracker: '{"max_gap": 2}', analysis: JSON.stringify({ lines: [door] }) }).expect(202);
    assert.deepEqual(ok.body.options.tracker, { ...DEFAULT_TRACKER_SETTINGS, max_gap: 2 });
    const [queued] = await api.ctx.analyses.list(ok.body.id);
    assert.equal(queued?.status, 'queued');
    assert.equal(queued?.settings.tracker.max_gap, 2, "the analysis takes the video's tracker settings");
    const files = readdirSync(api.env.storageDir);
    const videos = (await get('/api/v1/videos?limit=100').expect(200)).body.items.length;
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ analysis: '{"lines": [' }, /analysis: not valid JSON/],
      [{ analysis: JSON.stringify({ lines: [{ name: 'a', points: [[2, 0], [0, 0]] }] }) }, /analysis\.lines\.0\.points\.0\.0/],
      [{ analysis: JSON.stringify({ lines: [door], tracker: { low_score: 0.9 } }) }, /analysis\.tracker\.low_score/],
      [{ tracker: '{"min_hits": 0}' }, /tracker\.min_hits/],
      [{ tracker: '{"low_score": 0.9}' }, /tracker\.low_score/],
      [{ tracking: 'maybe' }, /tracking/],
    ];
    for (const [fields, message] of cases) {
      const res = await upload(fields).expect(400);
      assert.match(res.body.error.message, message, JSON.stringify(fields));
    }
    assert.deepEqual(readdirSync(api.env.storageDir), files, 'no file kept');
    assert.equal((await get('/api/v1/videos?limit=100').expect(200)).body.items.length, videos, 'no video recorded');
  });

  it('marks an analysis failed when its job fails for good, and leaves the video completed', async () => {
    const id = await storedVideo({ tracking: true });
    await api.ctx.redis.del(api.ctx.keys.chunkResult(id, 2));
    const res = await api.http().post(`/api/v1/videos/${id}/analyses`).set('authorization', alice).send({ lines: [door] }).expect(202);
    const failed = await analysisDone(id, res.body.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'incomplete_results');
    assert.match(failed.error?.message ?? '', /chunk 2 has no stored result/);
    assert.equal((await get(`/api/v1/videos/${id}`).expect(200)).body.status, 'completed');
  });

  it('deletes a video with its tracks and analyses', async () => {
    const id = await storedVideo({ tracking: true });
    await api.http().post(`/api/v1/videos/${id}/analyses`).set('authorization', alice).send({ lines: [door] }).expect(202);
    await api.http().delete(`/api/v1/videos/${id}`).set('authorization', alice).expect(204);
    const keys = await api.ctx.redis.keys(`${api.env.config.redis.prefix}:video:${id}*`);
    assert.deepEqual(keys, []);
  });
});
