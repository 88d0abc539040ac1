import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import {
  createLogger,
  createRedis,
  DEFAULT_TRACKER_SETTINGS,
  NO_OPTIONS,
  JobName,
  loadConfig,
  QueueName,
  VideoStatus,
  workerOptions,
  type JobKey,
  type VideoRecord,
} from '@video-detect/shared';
import { startDetector, type RunningDetector } from '../../services/detector/src/index.js';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath } from '../helpers/test-env.js';

const RETENTION = 3600;
const silent = createLogger('test', 'silent');

/** Videos put where the API and the workers leave them, and what their end looks like in Redis. */
class VideoFixture {
  private readonly owner = randomUUID();
  constructor(private readonly api: TestApi) {}

  /** A queued video as the API leaves it: `name` copied into storage (or `content` written there), a record, and a plan job unless `plan` is false. */
  async queuedVideo(source: { name: string } | { content: string }, plan = true): Promise<string> {
    const id = randomUUID();
    const file = `${id}.mp4`;
    const target = path.join(this.api.env.storageDir, file);
    if ('name' in source) copyFileSync(mediaPath(source.name), target);
    else writeFileSync(target, source.content);
    const record: VideoRecord = {
      ...{ id, owner_id: this.owner, status: VideoStatus.Queued, filename: 'x.mp4', client_tag: null, file, size_bytes: 0, created_at: new Date().toISOString() },
      ...{ started_at: null, completed_at: null, video: null, options: { ...NO_OPTIONS, tracking: true, tracker: DEFAULT_TRACKER_SETTINGS } },
      ...{ frames_total: null, chunks_total: null, chunk_frames: null, chunk_layout: null, model: null, summary: null, error: null },
    };
    await this.api.ctx.videos.create(record);
    if (plan) await this.api.ctx.jobs.add(JobName.Plan, { videoId: id });
    return id;
  }

  async ended(id: string, timeoutMs = 120_000): Promise<VideoRecord> {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
      const record = await this.api.ctx.videos.get(id);
      assert.ok(record, `video ${id} exists`);
      if (record.status !== VideoStatus.Queued && record.status !== VideoStatus.Processing) return record;
      assert.ok(Date.now() < deadline, `video ${id} still ${record.status} after ${timeoutMs} ms`);
    }
  }

  /** Every key of the video expires within RESULT_TTL_SECONDS. */
  async assertRetained(record: VideoRecord): Promise<void> {
    const keys = this.api.ctx.keys.videoKeys(record.id, record.chunks_total ?? 0);
    for (const key of keys) {
      if ((await this.api.ctx.redis.exists(key)) === 0) continue;
      const ttl = await this.api.ctx.redis.ttl(key);
      assert.ok(ttl > 0 && ttl <= RETENTION, `${key} expires (ttl ${ttl})`);
    }
    assert.ok((await this.api.ctx.redis.ttl(this.api.ctx.keys.video(record.id))) > 0, 'the record itself expires');
  }

  /** How the job ended. A video is finished before its failing job is recorded as failed, so this waits for the job. */
  async attemptsOf<N extends JobName>(name: N, key: JobKey<N>, timeoutMs = 30_000): Promise<{ state: string; attemptsMade: number }> {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(50)) {
      const job = await this.api.ctx.jobs.getJob(name, key);
      assert.ok(job, `${name} job ${JSON.stringify(key)} is kept`);
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') return { state, attemptsMade: job.attemptsMade };
      assert.ok(Date.now() < deadline, `${name} job ${JSON.stringify(key)} still ${state} after ${timeoutMs} ms`);
    }
  }
}

/**
 * The processor's plan and merge and the detector's detect, through their real workers, Redis,
 * ffprobe/ffmpeg and model: each way a video ends, with its error code and its retention.
 */
describe('video jobs end to end through the real workers', () => {
  let api: TestApi;
  let processor: RunningProcessor;
  let v: VideoFixture;

  before(async () => {
    api = await startTestApi({ CHUNK_FRAMES: '64', CHUNK_ATTEMPTS: '3', CHUNK_BACKOFF_MS: '100', RESULT_TTL_SECONDS: String(RETENTION) });
    processor = await startProcessor(api.env.config, silent);
    v = new VideoFixture(api);
  });
  after(async () => {
    await processor.close();
    await api.close();
  });

  describe('with a detector', () => {
    let detector: RunningDetector;
    before(async () => {
      detector = await startDetector(api.env.config, silent);
    });
    after(async () => {
      await detector.close();
    });

    it('plans frame-exact chunks, detects, merges and completes; the finished video expires', async () => {
      const id = await v.queuedVideo({ name: 'friday.mp4' });
      const video = await v.ended(id);
      assert.equal(video.status, VideoStatus.Completed, JSON.stringify(video.error));
      assert.equal(video.frames_total, 185);
      assert.equal(video.chunks_total, 3, '185 frames at most 64 a chunk');
      assert.ok(video.summary && Object.keys(video.summary).length > 0, 'a per-class summary');
      const chunkJobs = await Promise.all([0, 1, 2].map((chunkIndex) => api.ctx.jobs.getJob(JobName.Detect, { videoId: id, chunkIndex })));
      assert.deepEqual(
        chunkJobs.flatMap((job) => job?.data.frameIndices ?? []),
        Array.from({ length: 185 }, (_, i) => i),
        'the chunks hold every frame once, in order',
      );
      assert.deepEqual(await v.attemptsOf(JobName.Merge, { videoId: id }), { state: 'completed', attemptsMade: 1 });
      await v.assertRetained(video);
    });

    it('fails a video whose stored upload is unreadable at once: unreadable_video, planned once', async () => {
      const id = await v.queuedVideo({ content: 'this is not a video\n'.repeat(100) });
      const video = await v.ended(id);
      assert.equal(video.status, VideoStatus.Failed);
      assert.equal(video.error?.code, 'unreadable_video');
      assert.match(video.error?.message ?? '', /^unreadable video: ffprobe could not read it/);
      assert.deepEqual(await v.attemptsOf(JobName.Plan, { videoId: id }), { state: 'failed', attemptsMade: 1 });
      await v.assertRetained(video);
    });

    it('runs a job queued under its former name (`process`) as `plan`', async () => {
      const id = await v.queuedVideo({ name: 'iphone_rotated.mov' }, false);
      await api.ctx.jobs.queues.processor.add('process', { videoId: id }, { jobId: id });
      const video = await v.ended(id);
      assert.equal(video.status, VideoStatus.Completed, JSON.stringify(video.error));
      assert.equal(video.frames_total, 66);
    });
  });

  it('fails the video with incomplete_results when the merge finds a chunk missing, without retrying the merge', async () => {
    const id = await v.queuedVideo({ name: 'friday.mp4' }, false);
    await api.ctx.videos.update(id, { status: VideoStatus.Processing, frames_total: 4, chunks_total: 2, chunk_frames: 2, chunk_layout: 'even' });
    const frame = (index: number) => ({ index, timestamp: index / 30, objects: [] });
    await api.ctx.videos.saveChunkResult(id, 0, JSON.stringify([frame(0), frame(1)]), 2);
    await api.ctx.jobs.add(JobName.Merge, { videoId: id, chunksTotal: 2 });
    const video = await v.ended(id);
    assert.equal(video.status, VideoStatus.Failed);
    assert.equal(video.error?.code, 'incomplete_results');
    assert.match(video.error?.message ?? '', /chunk 1 has no stored result/);
    assert.deepEqual(await v.attemptsOf(JobName.Merge, { videoId: id }), { state: 'failed', attemptsMade: 1 });
    await v.assertRetained(video);
  });

  it('fails the video at once with ffmpeg_missing when the detector has no ffmpeg: one attempt, not CHUNK_ATTEMPTS', async () => {
    const config = loadConfig({ ...api.env.vars, FFMPEG_PATH: '/nonexistent/ffmpeg' });
    const detector = await startDetector(config, silent);
    try {
      const id = await v.queuedVideo({ name: 'friday.mp4' });
      const video = await v.ended(id);
      assert.equal(video.status, VideoStatus.Failed);
      assert.equal(video.error?.code, 'ffmpeg_missing');
      assert.match(video.error?.message ?? '', /ffmpeg not found at "\/nonexistent\/ffmpeg" \(FFMPEG_PATH\)/);
      const chunks = await Promise.all([0, 1, 2].map((chunkIndex) => v.attemptsOf(JobName.Detect, { videoId: id, chunkIndex })));
      assert.equal(chunks.filter((c) => c.state === 'failed').length, 1, `one chunk failed, the others found the video failed: ${JSON.stringify(chunks)}`);
      assert.ok(chunks.every((c) => c.attemptsMade <= 1), `no chunk was retried: ${JSON.stringify(chunks)}`);
      await v.assertRetained(video);
    } finally {
      await detector.close();
    }
  });

  it('keeps a cancelled video for the retention too', async () => {
    const id = await v.queuedVideo({ name: 'friday.mp4' }, false);
    assert.equal(await api.ctx.videos.finish(id, { status: VideoStatus.Cancelled }), true);
    const video = await api.ctx.videos.get(id);
    assert.equal(video?.status, VideoStatus.Cancelled);
    assert.ok(video?.completed_at);
    await v.assertRetained(video);
    assert.equal(await api.ctx.videos.finish(id, { status: VideoStatus.Failed, error: { code: 'x', message: 'y' } }), false, 'the first outcome stands');
  });
});

describe('a plan job whose worker died with it more often than JOB_MAX_STALLED allows', () => {
  let api: TestApi;
  let processor: RunningProcessor;
  let v: VideoFixture;
  before(async () => {
    api = await startTestApi({ RESULT_TTL_SECONDS: String(RETENTION), JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '1000', JOB_MAX_STALLED: '0' });
    processor = await startProcessor(api.env.config, silent);
    v = new VideoFixture(api);
  });
  after(async () => {
    await processor.close();
    await api.close();
  });

  it('fails the video (processing_failed) when its plan job stalled more often than allowed: the worker died', async () => {
    const id = await v.queuedVideo({ name: 'friday.mp4' }, false);
    // A processor that takes the job and dies with it (force-closed: no lock renewal, no failure recorded).
    const connection = createRedis(api.env.config.redis.url, 'worker');
    let taken!: () => void;
    const tookIt = new Promise<void>((resolve) => (taken = resolve));
    const doomed = new Worker(QueueName.Processor, () => {
      taken();
      return new Promise(() => undefined);
    }, { ...workerOptions(api.env.config, connection), autorun: true });
    await processor.worker.pause();
    await api.ctx.jobs.add(JobName.Plan, { videoId: id });
    await tookIt;
    await doomed.close(true);
    connection.disconnect();
    await processor.worker.resume();
    // JOB_MAX_STALLED=0: the real processor's stall check fails the job, and the video with it.
    const video = await v.ended(id, 30_000);
    assert.equal(video.status, VideoStatus.Failed);
    assert.equal(video.error?.code, 'processing_failed');
    assert.match(video.error?.message ?? '', /^planning failed: job stalled more than allowable limit/);
    await v.assertRetained(video);
  });
});
