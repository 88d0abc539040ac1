import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_TRACKER_SETTINGS, JobName, VideoStatus, type FrameResult } from '@video-detect/shared';
import { OPENAPI_FILE, toSortedJson } from '../../services/api/src/index.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath, repoRoot } from '../helpers/test-env.js';

const storedFiles = (api: TestApi) => readdirSync(api.env.storageDir);

describe('videos API', () => {
  let api: TestApi;
  let alice: string;
  let bob: string;
  before(async () => {
    api = await startTestApi({ MAX_UPLOAD_BYTES: String(600 * 1024) });
    alice = (await api.login('alice')).authorization;
    bob = (await api.login('bob')).authorization;
  });
  after(async () => {
    await api.close();
  });

  it('accepts a video: 202, Location, queued record, one plan job whose id is the video id', async () => {
    const res = await api
      .http()
      .post('/api/v1/videos')
      .set('authorization', alice)
      .field('sample_fps', '2')
      .field('min_score', '0.5')
      .field('classes', 'person, clock')
      .attach('video', mediaPath('friday.mp4'))
      .expect(202);
    assert.equal(res.headers.location, `/api/v1/videos/${res.body.id}`);
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.filename, 'friday.mp4');
    assert.deepEqual(res.body.options, { sample_fps: 2, min_score: 0.5, classes: ['person', 'clock'], tracking: true, tracker: DEFAULT_TRACKER_SETTINGS });
    assert.equal(res.body.video.width, 640);
    assert.equal(res.body.video.codec, 'h264');
    const job = await api.ctx.jobs.queues.processor.getJob(res.body.id);
    assert.ok(job, 'plan job exists');
    assert.equal(job.name, JobName.Plan);
    assert.deepEqual(job.data, { videoId: res.body.id });
    assert.ok(storedFiles(api).includes(`${res.body.id}.mp4`));
    const got = await api.http().get(res.headers.location).set('authorization', alice).expect(200);
    assert.equal(got.body.id, res.body.id);
  });

  it('reports the displayed size of a rotated video', async () => {
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('iphone_rotated.mov')).expect(202);
    assert.equal(res.body.video.width, 320);
    assert.equal(res.body.video.height, 568);
    assert.equal(Math.abs(res.body.video.rotation), 90);
  });

  it('answers 415 for a text file named .mp4 and keeps nothing', async () => {
    const before = storedFiles(api);
    const fake = path.join(api.env.storageDir, '..', `fake-${process.pid}.mp4`);
    writeFileSync(fake, 'this is not a video\n'.repeat(100));
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', fake).expect(415);
    assertError(res.body, 'unsupported_media');
    assert.deepEqual(storedFiles(api), before);
  });

  it('answers 413 over the size limit and keeps nothing', async () => {
    const before = storedFiles(api);
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('car-detection.mp4'));
    assert.equal(res.status, 413);
    assertError(res.body, 'file_too_large');
    assert.deepEqual(storedFiles(api), before);
  });

  it('answers 400 for bad options or a missing file, with a message naming the field, and keeps nothing', async () => {
    const before = storedFiles(api);
    const cases: Array<[string, string, RegExp]> = [
      ['sample_fps', '0', /sample_fps/],
      ['sample_fps', 'fast', /sample_fps/],
      ['min_score', '1.5', /min_score/],
      ['classes', ' , ', /classes/],
    ];
    for (const [field, value, message] of cases) {
      const res = await api.http().post('/api/v1/videos').set('authorization', alice).field(field, value).attach('video', mediaPath('friday.mp4'));
      assert.equal(res.status, 400, `${field}=${value}`);
      assertError(res.body, 'invalid_request');
      assert.match(res.body.error.message, message);
    }
    const missing = await api.http().post('/api/v1/videos').set('authorization', alice).field('sample_fps', '1').expect(400);
    assertError(missing.body, 'missing_file');
    const wrongField = await api.http().post('/api/v1/videos').set('authorization', alice).attach('file', mediaPath('friday.mp4')).expect(400);
    assertError(wrongField.body, 'unexpected_file');
    assert.deepEqual(storedFiles(api), before);
  });

  it('shows a user only their own videos: another user gets 404 exactly as for an unknown id', async () => {
    const mine = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('flower.webm')).expect(202);
    const id = mine.body.id as string;
    const unknown = await api.http().get('/api/v1/videos/00000000-0000-4000-8000-000000000000').set('authorization', bob).expect(404);
    for (const url of [`/api/v1/videos/${id}`, `/api/v1/videos/${id}/detections`]) {
      const res = await api.http().get(url).set('authorization', bob).expect(404);
      assert.deepEqual(res.body, unknown.body);
    }
    assert.deepEqual((await api.http().delete(`/api/v1/videos/${id}`).set('authorization', bob).expect(404)).body, unknown.body);
    await api.http().get('/api/v1/videos/not-a-uuid').set('authorization', bob).expect(404);
    const list = await api.http().get('/api/v1/videos').set('authorization', bob).expect(200);
    assert.deepEqual(list.body, { items: [], next_offset: null });
    await api.http().get(`/api/v1/videos/${id}`).set('authorization', alice).expect(200);
  });

  it('lists newest first with offset paging', async () => {
    const all = await api.http().get('/api/v1/videos?limit=100').set('authorization', alice).expect(200);
    const times = (all.body.items as Array<{ created_at: string }>).map((v) => Date.parse(v.created_at));
    assert.ok(times.length >= 3);
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const first = await api.http().get('/api/v1/videos?limit=2').set('authorization', alice).expect(200);
    assert.equal(first.body.items.length, 2);
    assert.equal(first.body.next_offset, 2);
    const second = await api.http().get('/api/v1/videos?offset=2&limit=2').set('authorization', alice).expect(200);
    assert.equal(second.body.items[0].id, all.body.items[2].id);
    const bad = await api.http().get('/api/v1/videos?limit=0').set('authorization', alice).expect(400);
    assertError(bad.body, 'invalid_request');
  });

  it('pages detections from the per-chunk result keys, with class and min_score filters', async () => {
    const up = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202);
    const id = up.body.id as string;
    const queued = await api.http().get(`/api/v1/videos/${id}/detections`).set('authorization', alice).expect(200);
    assert.deepEqual(queued.body, { video_id: id, status: 'queued', frames: [], next_offset: 0 });
    // Five analysed frames in chunks of two, stored as the detectors store them.
    await api.ctx.videos.update(id, { status: VideoStatus.Processing, frames_total: 5, chunks_total: 3, chunk_frames: 2 });
    const frame = (index: number): FrameResult => ({
      index: index * 10,
      timestamp: index / 3,
      objects: [
        { label: 'person', class_id: 0, score: 0.9, box: [1, 2, 3, 4] },
        { label: 'clock', class_id: 74, score: 0.35, box: [5, 6, 7, 8] },
      ],
    });
    await api.ctx.videos.saveChunkResult(id, 0, JSON.stringify([frame(0), frame(1)]), 2);
    await api.ctx.videos.saveChunkResult(id, 2, JSON.stringify([frame(4)]), 1);
    const partial = await api.http().get(`/api/v1/videos/${id}/detections?limit=10`).set('authorization', alice).expect(200);
    assert.deepEqual(partial.body.frames.map((f: FrameResult) => f.index), [0, 10]);
    assert.equal(partial.body.next_offset, 2, 'a running video pages up to the first chunk not yet analysed');
    const progress = await api.http().get(`/api/v1/videos/${id}`).set('authorization', alice).expect(200);
    assert.deepEqual(progress.body.progress, { frames_total: 5, frames_done: 3, chunks_total: 3, chunks_done: 2 });

    await api.ctx.videos.saveChunkResult(id, 1, JSON.stringify([frame(2), frame(3)]), 2);
    await api.ctx.videos.update(id, { status: VideoStatus.Completed });
    const page1 = await api.http().get(`/api/v1/videos/${id}/detections?offset=1&limit=3`).set('authorization', alice).expect(200);
    assert.deepEqual(page1.body.frames.map((f: FrameResult) => f.index), [10, 20, 30]);
    assert.equal(page1.body.next_offset, 4);
    const page2 = await api.http().get(`/api/v1/videos/${id}/detections?offset=4&limit=3`).set('authorization', alice).expect(200);
    assert.deepEqual(page2.body.frames.map((f: FrameResult) => f.index), [40]);
    assert.equal(page2.body.next_offset, null);
    const filtered = await api.http().get(`/api/v1/videos/${id}/detections?class=clock&limit=5`).set('authorization', alice).expect(200);
    assert.equal(filtered.body.frames.length, 5);
    assert.ok(filtered.body.frames.every((f: FrameResult) => f.objects.length === 1 && f.objects[0]?.label === 'clock'));
    const scored = await api.http().get(`/api/v1/videos/${id}/detections?min_score=0.5`).set('authorization', alice).expect(200);
    assert.ok(scored.body.frames.every((f: FrameResult) => f.objects.every((o) => o.score >= 0.5) && f.objects.length === 1));
    await api.http().get(`/api/v1/videos/${id}/detections?min_score=2`).set('authorization', alice).expect(400);
  });

  it('deletes: 204, then the record, results, file and queued job are gone', async () => {
    const up = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('iphone_rotated.mov')).expect(202);
    const id = up.body.id as string;
    assert.ok(storedFiles(api).some((f) => f.startsWith(id)));
    await api.http().delete(`/api/v1/videos/${id}`).set('authorization', alice).expect(204);
    await api.http().get(`/api/v1/videos/${id}`).set('authorization', alice).expect(404);
    assert.ok(!storedFiles(api).some((f) => f.startsWith(id)));
    assert.equal(await api.ctx.jobs.getJob(JobName.Plan, { videoId: id }), undefined);
    assert.equal(await api.ctx.redis.exists(api.ctx.keys.video(id)), 0);
  });
});

describe('service endpoints', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('serves /healthz, /readyz, Swagger UI and an OpenAPI document describing every contract endpoint', async () => {
    await api.http().get('/healthz').expect(200, { status: 'ok' });
    await api.http().get('/readyz').expect(200, { status: 'ok' });
    const docs = await api.http().get('/docs/').expect(200);
    assert.match(docs.text, /swagger-ui/i);
    const doc = (await api.http().get('/openapi.json').expect(200)).body;
    assert.match(doc.openapi, /^3\./);
    const expected: Array<[string, string]> = [
      ['post', '/api/v1/auth/register'],
      ['post', '/api/v1/auth/token'],
      ['post', '/api/v1/auth/refresh'],
      ['post', '/api/v1/videos'],
      ['get', '/api/v1/videos'],
      ['get', '/api/v1/videos/{id}'],
      ['get', '/api/v1/videos/{id}/detections'],
      ['delete', '/api/v1/videos/{id}'],
      ['get', '/api/v1/videos/{id}/tracks'],
      ['get', '/api/v1/videos/{id}/tracks/{track_id}'],
      ['get', '/api/v1/videos/{id}/segments'],
      ['get', '/api/v1/videos/{id}/timeline'],
      ['post', '/api/v1/videos/{id}/analyses'],
      ['get', '/api/v1/videos/{id}/analyses'],
      ['get', '/api/v1/videos/{id}/analyses/{analysis_id}'],
      ['get', '/api/v1/videos/{id}/export'],
      ['get', '/api/v1/videos/{id}/frames/{index}.jpg'],
      ['post', '/api/v1/videos/{id}/renders'],
      ['get', '/api/v1/videos/{id}/renders'],
      ['get', '/api/v1/videos/{id}/renders/{render_id}'],
      ['get', '/api/v1/videos/{id}/renders/{render_id}/file'],
      ['get', '/api/v1/videos/{id}/file'],
      ['post', '/api/v1/videos/{id}/media-urls'],
      ['get', '/healthz'],
      ['get', '/readyz'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
      assert.ok(Object.keys(op.responses).length > 0);
    }
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    for (const schema of ['Video', 'VideoList', 'DetectionsPage', 'Frame', 'TokenPair', 'Error', 'Track', 'TrackList', 'TrackWithPath', 'SegmentList', 'Timeline', 'Analysis', 'AnalysisList']) {
      assert.ok(doc.components.schemas[schema], schema);
    }
    for (const schema of ['AnalysisRequest', 'Track', 'SegmentList', 'Timeline']) assert.ok(doc.components.schemas[schema].example, `${schema} has an example`);
    assert.ok(doc.components.schemas.DetectedObject.properties.track_id, 'objects have track_id');
    assert.deepEqual(doc.paths['/api/v1/videos'].get.security, [{ bearerAuth: [] }]);
    assert.ok(doc.paths['/api/v1/videos'].post.requestBody.content['multipart/form-data']);
  });

  it(`serves the committed OpenAPI document (run \`npm run openapi\` and commit ${OPENAPI_FILE} when it differs)`, async () => {
    // Key-sorted and committed, so a contract change shows in review.
    const served = toSortedJson((await api.http().get('/openapi.json').expect(200)).body);
    const committed = readFileSync(path.join(repoRoot, OPENAPI_FILE), 'utf8');
    assert.equal(served, committed, `${OPENAPI_FILE} is out of date: run \`npm run openapi\` and commit the result`);
  });

  it('answers JSON 404 for unknown routes', async () => {
    const res = await api.http().get('/nope').expect(404);
    assert.equal(res.body.error.code, 'not_found');
  });
});

describe('with Redis unreachable', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  after(async () => {
    await api.close();
  });

  it('answers /readyz 503 and API calls 503 as JSON, while /healthz stays up', async () => {
    await api.http().get('/healthz').expect(200);
    const ready = await api.http().get('/readyz').expect(503);
    assert.equal(ready.body.error.code, 'dependency_unavailable');
    const token = await api.http().post('/api/v1/auth/token').send({ username: 'alice', password: 'a long password' });
    assert.equal(token.status, 503);
    assert.equal(token.body.error.code, 'dependency_unavailable');
  });
});
