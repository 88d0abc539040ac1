import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  chunkResultSchema,
  createLogger,
  createRedis,
  DecodeFailedError,
  JobName,
  JobRunner,
  QueueName,
  queueOptions,
  redisKeys,
  LocalUploadStorage,
  VideoStatus,
  VideoStore,
  type DetectJobData,
} from '@video-detect/shared';
import { createDetectHandler, type InferenceClient } from '../../services/detector/src/index.js';
import { startTestClient } from '../helpers/detector-fixtures.js';
import { processingVideo } from '../helpers/detector-video.js';
import { createTestEnv, type TestEnv } from '../helpers/test-env.js';

/** The detect handler in the job wrapper on real jobs (added to a real queue, run directly), real Redis, ffmpeg and model. */
describe('detect job handler', () => {
  let env: TestEnv;
  let redis: Redis;
  let store: VideoStore;
  let queue: Queue;
  let client: InferenceClient;
  let runner: JobRunner<typeof QueueName.Detector, null>;
  const handler = (job: Job) => runner.process(job);
  let n = 0;

  before(async () => {
    env = createTestEnv();
    redis = createRedis(env.config.redis.url, 'worker');
    store = new VideoStore(redis, redisKeys(env.config.redis.prefix));
    queue = new Queue(QueueName.Detector, queueOptions(env.config, redis));
    client = await startTestClient();
    const detect = createDetectHandler({ config: env.config, client, videos: store, uploads: new LocalUploadStorage(env.storageDir) });
    runner = new JobRunner({ queue: QueueName.Detector, handlers: [detect], context: null, logger: createLogger('detector', 'silent'), videos: store });
  });
  after(async () => {
    await client.close();
    await queue.close();
    redis.disconnect();
    await env.cleanup();
  });

  const jobOf = (data: unknown, name: string = JobName.Detect) => queue.add(name, data, { jobId: `job-${++n}` }) as Promise<Job<unknown>>;
  const stored = async (data: DetectJobData) => {
    const raw = await redis.get(redisKeys(env.config.redis.prefix).chunkResult(data.videoId, data.chunkIndex));
    return raw === null ? null : chunkResultSchema.parse(JSON.parse(raw));
  };

  it('stores the sampled frames with their timestamps, filtered by min_score and classes', async () => {
    const data = await processingVideo(store, env.storageDir, 'bottle-detection.mp4', 440, 460);
    const picked = [440, 445, 450, 455];
    const payload: DetectJobData = {
      ...data,
      frameIndices: picked,
      timestamps: picked.map((i) => data.timestamps[i - 440]!),
      options: { min_score: 0.85, classes: ['bottle', 'not-a-coco-label'] },
    };
    const result = await handler(await jobOf(payload));
    const frames = await stored(payload);
    assert.ok(frames);
    assert.deepEqual(frames.map((f) => f.index), picked);
    assert.deepEqual(frames.map((f) => f.timestamp), payload.timestamps);
    const objects = frames.flatMap((f) => f.objects);
    assert.deepEqual(result, { framesAnalysed: 4, objects: objects.length });
    assert.ok(objects.length >= 4, 'bottles above 0.85 around 15 s');
    assert.ok(objects.every((o) => o.label === 'bottle' && o.score >= 0.85));
    // Rounded as stored: boxes to 2 decimals, scores to 4.
    assert.ok(objects.every((o) => o.box.every((v) => Math.round(v * 100) / 100 === v) && Math.round(o.score * 1e4) / 1e4 === o.score));
    // The video names the model that produced its boxes.
    assert.deepEqual((await store.get(payload.videoId))?.model, { name: 'yolox_nano.onnx', input_size: [416, 416], execution_provider: 'cpu' });
  });

  it('does nothing for a video that is no longer processing', async () => {
    const data = await processingVideo(store, env.storageDir, 'friday.mp4', 0, 10);
    await store.update(data.videoId, { status: VideoStatus.Cancelled });
    assert.deepEqual(await handler(await jobOf(data)), { framesAnalysed: 0, objects: 0 });
    assert.equal(await stored(data), null);
  });

  it('stops a running chunk when the video is cancelled, writing nothing', async () => {
    // ~1200 frames: far longer than the test waits.
    const data = await processingVideo(store, env.storageDir, 'bottle-detection.mp4', 0, 1189);
    const started = Date.now();
    const running = handler(await jobOf(data));
    setTimeout(() => void store.update(data.videoId, { status: VideoStatus.Cancelled }), 800);
    assert.deepEqual(await running, { framesAnalysed: 0, objects: 0 });
    assert.ok(Date.now() - started < 5000, `stopped after ${Date.now() - started} ms`);
    assert.equal(await stored(data), null);
  });

  it('refuses an invalid payload as unrecoverable', async () => {
    const data = await processingVideo(store, env.storageDir, 'friday.mp4', 0, 10);
    const cases: unknown[] = [
      { ...data, videoId: 'not-a-uuid' },
      { ...data, frameIndices: [0, 11], timestamps: [0, 0.3] },
      { ...data, frameIndices: [3, 2], timestamps: [0.1, 0.06] },
      { ...data, timestamps: [] },
    ];
    for (const payload of cases) await assert.rejects(handler(await jobOf(payload)), UnrecoverableError);
    await assert.rejects(handler(await jobOf(data, 'merge')), UnrecoverableError);
  });

  it('rethrows decoding failures (retryable), naming the file', async () => {
    const data = await processingVideo(store, env.storageDir, 'friday.mp4', 0, 10);
    await assert.rejects(handler(await jobOf({ ...data, endFrame: 20, frameIndices: [0], timestamps: [0] })), (err: unknown) => {
      assert.ok(err instanceof DecodeFailedError && !(err instanceof UnrecoverableError));
      assert.match(err.message, new RegExp(`FRAME_COUNT_MISMATCH: .*${data.file}`));
      assert.equal(err.frame, 10, 'decoding stopped at the first frame ffmpeg did not deliver');
      return true;
    });
  });
});
