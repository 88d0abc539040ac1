import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { compareStreamIds, createLogger, JobName, type FrameResult } from '@video-detect/shared';
import { startDetector, type RunningDetector } from '../../services/detector/src/index.js';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { readEventStream, type ReceivedEvent } from '../helpers/event-stream-client.js';
import { mediaPath } from '../helpers/test-env.js';

const silent = createLogger('test', 'silent');
type Progress = { frames_total: number | null; frames_done: number; chunks_total: number | null; chunks_done: number };

/**
 * Live events, client_tag, cancel and retry with the real API (listening), processor, detector,
 * ffmpeg, model and Redis. friday.mp4 has 185 frames: three chunks of at most 64.
 */
describe('live events, cancel and retry', () => {
  let api: TestApi;
  let server: Server;
  let base = '';
  let processor: RunningProcessor;
  let detector: RunningDetector;
  let auth: string;
  const http = () => supertest(base);
  const sse = (path: string, headers: Record<string, string> = {}, options: Parameters<typeof readEventStream>[2] = { timeoutMs: 60_000 }) =>
    readEventStream(`${base}${path}`, { authorization: auth, ...headers }, options);
  const get = async (id: string) => (await http().get(`/api/v1/videos/${id}`).set('authorization', auth).expect(200)).body as { status: string; progress: Progress; client_tag: string | null };
  const upload = async (fields: Record<string, string> = {}) => {
    const req = http().post('/api/v1/videos').set('authorization', auth);
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    return (await req.attach('video', mediaPath('friday.mp4')).expect(202)).body as { id: string; client_tag: string | null };
  };
  const waitFor = async <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> => {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(50)) {
      const value = await read();
      if (done(value)) return value;
      assert.ok(Date.now() < deadline, `still waiting for ${what}: ${JSON.stringify(value)}`);
    }
  };

  before(async () => {
    api = await startTestApi({ CHUNK_FRAMES: '64', EVENT_STREAM_POLL_MS: '100', EVENT_STREAM_HEARTBEAT_MS: '1000', DETECTOR_INTRA_OP_THREADS: '1' });
    server = api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    [processor, detector] = await Promise.all([startProcessor(api.env.config, silent), startDetector(api.env.config, silent)]);
    auth = (await api.login('watcher')).authorization;
  });
  after(async () => {
    await detector.close();
    await processor.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await api.close();
  });

  let watched: { id: string; events: ReceivedEvent[] };

  it("streams a video's state, its progress in order, then `video.completed`, and ends", async () => {
    const { id } = await upload({ client_tag: 'cam-1' });
    const read = await sse(`/api/v1/videos/${id}/events`);
    assert.equal(read.status, 200);
    assert.match(read.contentType ?? '', /^text\/event-stream/);
    assert.ok(read.ended, 'the server ended the stream');
    const types = read.events.map((e) => e.type);
    assert.match(types[0] ?? '', /^video\.(queued|processing)$/, 'first, the state it is in');
    assert.equal(types.at(-1), 'video.completed');
    assert.ok(types.includes('video.processing') || types[0] === 'video.processing');
    const progress = read.events.filter((e) => e.type === 'video.progress').map((e) => e.envelope.data.progress as Progress);
    assert.ok(progress.length >= 3, `progress events (${progress.length})`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.frames_done >= progress[i - 1]!.frames_done, 'frames_done never goes back');
    assert.deepEqual(progress.at(-1), { frames_total: 185, frames_done: 185, chunks_total: 3, chunks_done: 3 });
    const done = read.events.at(-1)!.envelope;
    assert.equal(done.type, 'video.completed');
    assert.deepEqual([done.data.id, done.data.status, done.data.client_tag], [id, 'completed', 'cam-1']);
    assert.ok(done.data.summary && Object.keys(done.data.summary).length > 0, 'the resource, summary included');
    assert.ok(read.events.every((e) => e.envelope.data.id === id && e.envelope.type === e.type && !Number.isNaN(Date.parse(e.envelope.timestamp))));
    const ids = read.events.slice(1).map((e) => e.id);
    for (let i = 1; i < ids.length; i++) assert.ok(compareStreamIds(ids[i]!, ids[i - 1]!) > 0, 'event ids rise');
    watched = { id, events: read.events };
  });

  it('reconnecting with Last-Event-ID replays exactly what came after it', async () => {
    const { id, events } = watched;
    const resumeAfter = events[2]!;
    const read = await sse(`/api/v1/videos/${id}/events`, { 'Last-Event-ID': resumeAfter.id });
    assert.ok(read.ended);
    assert.deepEqual(
      read.events.map((e) => [e.id, e.type]),
      events.slice(3).map((e) => [e.id, e.type]),
    );
    const finished = await sse(`/api/v1/videos/${id}/events`);
    assert.deepEqual(finished.events.map((e) => e.type), ['video.completed'], "a finished video's stream is its state alone");
    assert.ok(finished.ended);
  });

  it('GET /events: every video of the user from Last-Event-ID, filtered by client_tag; a quiet stream gets heartbeats', async () => {
    const tagged = await sse('/api/v1/events?client_tag=cam-1', { 'Last-Event-ID': '0-0' }, { timeoutMs: 10_000, stop: (r) => r.comments.includes('heartbeat') });
    // The video's stream began with a snapshot of its state; this one has the stored `video.queued` there.
    assert.equal(tagged.events[0]?.type, 'video.queued');
    assert.deepEqual(
      tagged.events.slice(1).map((e) => e.id),
      watched.events.slice(1).map((e) => e.id),
      "the tagged video's events, in order",
    );
    assert.ok(tagged.events.every((e) => e.envelope.data.client_tag === 'cam-1'));
    const other = await sse('/api/v1/events?client_tag=cam-2', { 'Last-Event-ID': '0-0' }, { timeoutMs: 10_000, stop: (r) => r.comments.includes('heartbeat') });
    assert.deepEqual([other.events.length, other.comments.includes('heartbeat')], [0, true]);
    const bad = await sse('/api/v1/events', { 'Last-Event-ID': 'yesterday' });
    assert.equal(bad.status, 400);
    assert.equal((await sse('/api/v1/videos/00000000-0000-4000-8000-000000000000/events')).status, 404);
  });

  it('client_tag: echoed, a filter of the list, bounded', async () => {
    const list = (await http().get('/api/v1/videos?client_tag=cam-1').set('authorization', auth).expect(200)).body;
    assert.deepEqual(list.items.map((v: { id: string }) => v.id), [watched.id]);
    assert.equal(list.items[0].client_tag, 'cam-1');
    assert.deepEqual((await http().get('/api/v1/videos?client_tag=nothing-here').set('authorization', auth).expect(200)).body.items, []);
    const long = await http().get(`/api/v1/videos?client_tag=${'x'.repeat(257)}`).set('authorization', auth).expect(400);
    assert.match(long.body.error.message, /client_tag/);
    const badUpload = await http().post('/api/v1/videos').set('authorization', auth).field('client_tag', 'x'.repeat(257)).attach('video', mediaPath('friday.mp4')).expect(400);
    assert.match(badUpload.body.error.message, /client_tag/);
  });

  it('cancel stops the work and keeps the video with its results; retry runs only the chunks without results, then merges', async () => {
    const { id } = await upload();
    await waitFor('a chunk stored', () => get(id), (v) => v.progress.chunks_done >= 1);
    const cancelled = (await http().post(`/api/v1/videos/${id}/cancel`).set('authorization', auth).expect(202)).body;
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.completed_at);
    await waitFor('the running chunk to stop', () => api.ctx.jobs.queues.detector.getActiveCount(), (n) => n === 0);
    const stored = [...(await api.ctx.videos.chunksDone(id))];
    assert.ok(stored.length >= 1 && stored.length < 3, `stored chunks: ${stored.join(',')}`);
    const kept = (await http().get(`/api/v1/videos/${id}/detections?limit=1000`).set('authorization', auth).expect(200)).body;
    assert.equal(kept.status, 'cancelled');
    assert.ok(kept.frames.length >= 61, 'the frames of the stored chunks stay readable');
    assert.equal((await http().post(`/api/v1/videos/${id}/cancel`).set('authorization', auth).expect(202)).body.status, 'cancelled', 'cancelling again changes nothing');
    assert.deepEqual((await sse(`/api/v1/videos/${id}/events`)).events.map((e) => e.type), ['video.cancelled']);

    const retried = (await http().post(`/api/v1/videos/${id}/retry`).set('authorization', auth).expect(202)).body;
    assert.equal(retried.status, 'queued');
    assert.equal(retried.progress.chunks_done, stored.length, 'stored results are kept');
    assert.equal(retried.completed_at, null);
    const video = await waitFor('the retried video to end', () => get(id), (v) => v.status !== 'queued' && v.status !== 'processing');
    assert.equal(video.status, 'completed');
    const frames = (await http().get(`/api/v1/videos/${id}/detections?limit=1000`).set('authorization', auth).expect(200)).body.frames as FrameResult[];
    assert.deepEqual(frames.map((f) => f.index), Array.from({ length: 185 }, (_, i) => i), 'every frame once, in order');
    for (const chunkIndex of [0, 1, 2]) {
      const job = await api.ctx.jobs.getJob(JobName.Detect, { videoId: id, chunkIndex });
      assert.equal(job !== undefined, !stored.includes(chunkIndex), `chunk ${chunkIndex} ran again only if it had no result`);
    }
    assertError((await http().post(`/api/v1/videos/${id}/retry`).set('authorization', auth).expect(409)).body, 'video_not_retryable');
    assertError((await http().post(`/api/v1/videos/${id}/cancel`).set('authorization', auth).expect(409)).body, 'video_not_running');
  });
});
