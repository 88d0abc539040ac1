import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FrameResult, Track } from '@video-detect/shared';
import { evaluateCoco, type CocoDetection, type CocoGroundTruth } from '../../services/detector/src/eval/coco-eval.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { storeVideo } from '../helpers/stored-video.js';

/**
 * 30 frames at 10 fps: a person (track 1) in frames 0-19 moving right, a bottle (track 2) in
 * frames 5-29, and in frames 10-11 a box never confirmed as a track of a class outside COCO whose
 * label has a comma and a quote (what CSV must quote).
 */
const ODD_LABEL = 'forklift, "yellow"';
function sceneFrames(): FrameResult[] {
  return Array.from({ length: 30 }, (_, index) => {
    const objects: FrameResult['objects'] = [];
    if (index < 20) objects.push({ label: 'person', class_id: 0, score: 0.9 - index * 0.01, box: [10 + index * 5, 20, 60 + index * 5, 220.123456], track_id: 1 });
    if (index >= 5) objects.push({ label: 'bottle', class_id: 39, score: 0.45, box: [500, 300.5, 540.25, 380], track_id: 2 });
    if (index === 10 || index === 11) objects.push({ label: ODD_LABEL, class_id: 80, score: 0.35, box: [700, 100, 800, 150], track_id: null });
    return { index, timestamp: index / 10, objects };
  });
}
const track = (id: number, label: string, class_id: number, first: number, last: number): Track => ({
  ...{ id, label, class_id, first_frame: first, last_frame: last, start: first / 10, end: last / 10, frames: last - first + 1 },
  ...{ max_score: 0.9, mean_score: 0.6, best: { index: first, box: [0, 0, 1, 1], score: 0.9 } },
});

describe('exports: jsonl, csv, mot, coco, streamed with the /detections filters', () => {
  let api: TestApi;
  let alice: string;
  let bob: string;
  let videoId: string;
  let frames: FrameResult[];

  before(async () => {
    api = await startTestApi();
    const a = await api.login('export-alice');
    alice = a.authorization;
    bob = (await api.login('export-bob')).authorization;
    frames = sceneFrames();
    const record = await storeVideo(api.ctx, { ownerId: a.userId, frames, chunkFrames: 8, tracks: [track(1, 'person', 0, 0, 19), track(2, 'bottle', 39, 5, 29)] });
    videoId = record.id;
  });
  after(async () => {
    await api.close();
  });

  const exportOf = (query: string, who = alice) =>
    api
      .http()
      .get(`/api/v1/videos/${videoId}/export?${query}`)
      .set('authorization', who)
      .buffer(true)
      .parse((res, done) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => done(null, Buffer.concat(parts).toString('utf8')));
      });
  const objectCount = (list: FrameResult[]) => list.reduce((n, f) => n + f.objects.length, 0);

  it('jsonl: one /detections frame per line, as an attachment', async () => {
    const res = await exportOf('format=jsonl').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^application\/x-ndjson/);
    assert.match(res.headers['content-disposition'] ?? '', /^attachment; filename="?clip_[0-9a-f]{4}-detections\.jsonl"?$/);
    const lines = (res.body as string).trimEnd().split('\n').map((l) => JSON.parse(l) as FrameResult);
    const page = await api.http().get(`/api/v1/videos/${videoId}/detections?limit=1000`).set('authorization', alice).expect(200);
    assert.deepEqual(lines, page.body.frames);
    assert.equal(lines.length, 30);
  });

  it('csv: a CSV library reads one row per object, labels with commas and quotes intact', async () => {
    const res = await exportOf('format=csv').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^text\/csv/);
    assert.match(res.headers['content-disposition'] ?? '', /filename="?clip_[0-9a-f]{4}-detections\.csv"?$/);
    const rows = parseCsv<Record<string, string>>(res.body as string, { columns: true });
    assert.equal(rows.length, objectCount(frames));
    assert.deepEqual(Object.keys(rows[0]!), ['frame', 'timestamp', 'track_id', 'label', 'class_id', 'score', 'x1', 'y1', 'x2', 'y2']);
    const odd = rows.filter((r) => r.label === ODD_LABEL);
    assert.deepEqual(odd.map((r) => [r.frame, r.track_id, r.class_id]), [['10', '', '80'], ['11', '', '80']]);
    const person = rows.find((r) => r.frame === '3' && r.label === 'person')!;
    assert.deepEqual([person.timestamp, person.track_id, person.x1, person.y1, person.x2, person.y2].map(Number), [0.3, 1, 25, 20, 75, 220.12]);
  });

  it('mot: lines read by a parser written from the MOTChallenge format (frames 1-based, x y w h)', async () => {
    const res = await exportOf('format=mot').expect(200);
    assert.match(res.headers['content-disposition'] ?? '', /filename="?clip_[0-9a-f]{4}-mot\.txt"?$/);
    // MOT16 paper, Table 3: <frame>, <id>, <bb_left>, <bb_top>, <bb_width>, <bb_height>, <conf>, <x>, <y>, <z>.
    const records = (res.body as string).trimEnd().split('\n').map((line) => {
      const fields = line.split(',');
      assert.equal(fields.length, 10, line);
      const [frame, id, left, top, width, height, conf, x, y, z] = fields.map(Number) as [number, number, number, number, number, number, number, number, number, number];
      assert.ok(Number.isInteger(frame) && frame >= 1 && Number.isInteger(id), line);
      assert.deepEqual([x, y, z], [-1, -1, -1]);
      return { frame, id, left, top, width, height, conf };
    });
    assert.equal(records.length, objectCount(frames));
    const bottle = records.find((r) => r.frame === 6 && r.id === 2)!;
    assert.deepEqual(bottle, { frame: 6, id: 2, left: 500, top: 300.5, width: 40.25, height: 79.5, conf: 0.45 });
    assert.deepEqual(records.filter((r) => r.id === -1).map((r) => r.frame), [11, 12]);
  });

  it('coco: a well-formed COCO file that the COCO evaluator scores AP 1 against the same detections', async () => {
    const res = await exportOf('format=coco').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    const coco = JSON.parse(res.body as string) as {
      images: Array<{ id: number; width: number; height: number; file_name: string; frame_index: number; coco_url: string }>;
      annotations: Array<CocoGroundTruth & { id: number; score: number; attributes: { track_id: number | null } }>;
      categories: Array<{ id: number; name: string }>;
    };
    assert.equal(coco.images.length, 30);
    assert.deepEqual(coco.images[3], { ...coco.images[3], id: 4, width: 1000, height: 500, frame_index: 3, coco_url: `/api/v1/videos/${videoId}/frames/3.jpg` });
    assert.deepEqual(coco.categories, [{ id: 1, name: 'person', supercategory: 'person' }, { id: 44, name: 'bottle', supercategory: 'bottle' }, { id: 1080, name: ODD_LABEL, supercategory: ODD_LABEL }]);
    // What pycocotools' createIndex relies on: unique ids, every annotation's image and category exist.
    const imageIds = new Set(coco.images.map((i) => i.id));
    const categoryIds = new Set(coco.categories.map((c) => c.id));
    assert.equal(new Set(coco.annotations.map((a) => a.id)).size, coco.annotations.length);
    for (const a of coco.annotations) assert.ok(imageIds.has(a.image_id) && categoryIds.has(a.category_id) && a.bbox.length === 4 && a.iscrowd === 0, JSON.stringify(a));
    assert.equal(coco.annotations.length, objectCount(frames));
    assert.deepEqual(coco.annotations.filter((a) => a.attributes.track_id === 2).length, 25);
    const dts: CocoDetection[] = frames.flatMap((f) =>
      f.objects.map((o) => ({ image_id: f.index + 1, category_id: o.label === 'person' ? 1 : o.label === 'bottle' ? 44 : 1080, bbox: [o.box[0], o.box[1], o.box[2] - o.box[0], o.box[3] - o.box[1]], score: o.score })),
    );
    const result = evaluateCoco([...imageIds], coco.annotations, dts);
    assert.equal(result.ap, 1);
    assert.equal(result.categories, 3);
  });

  it('filters: class, min_score, time range and track_id, as /detections', async () => {
    const csv = parseCsv<Record<string, string>>((await exportOf('format=csv&class=person,bottle&min_score=0.5&from=0.5&to=1.5').expect(200)).body as string, { columns: true });
    // person scores 0.9 - 0.01 i >= 0.5 for all i < 20; bottle 0.45 is dropped; frames 5..15.
    assert.deepEqual(csv.map((r) => Number(r.frame)), Array.from({ length: 11 }, (_, i) => i + 5));
    assert.ok(csv.every((r) => r.label === 'person'));
    const jsonl = ((await exportOf('format=jsonl&track_id=2').expect(200)).body as string).trimEnd().split('\n').map((l) => JSON.parse(l) as FrameResult);
    assert.deepEqual([jsonl[0]!.index, jsonl.at(-1)!.index, jsonl.length], [5, 29, 25]);
    assert.ok(jsonl.every((f) => f.objects.length === 1 && f.objects[0]!.track_id === 2));
    const empty = await exportOf('format=coco&class=dog').expect(200);
    const coco = JSON.parse(empty.body as string) as { images: unknown[]; annotations: unknown[]; categories: unknown[] };
    assert.deepEqual([coco.images.length, coco.annotations.length, coco.categories.length], [30, 0, 0]);
  });

  it('bad input: unknown format 400, another user 404, a video not completed 409, unknown track 404', async () => {
    assertError(JSON.parse((await exportOf('format=xml').expect(400)).body as string), 'invalid_request');
    assertError(JSON.parse((await exportOf('format=csv&to=1&from=2').expect(400)).body as string), 'invalid_request');
    assertError(JSON.parse((await exportOf('format=csv', bob).expect(404)).body as string), 'video_not_found');
    assertError(JSON.parse((await exportOf('format=csv&track_id=99').expect(404)).body as string), 'track_not_found');
    const running = await storeVideo(api.ctx, { ownerId: (await api.ctx.videos.get(videoId))!.owner_id, frames: frames.slice(0, 8), processing: true });
    const res = await api.http().get(`/api/v1/videos/${running.id}/export?format=jsonl`).set('authorization', alice).expect(409);
    assertError(res.body, 'video_not_completed');
  });
});
