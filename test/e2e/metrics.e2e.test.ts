import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { scrape, sampleValue, sumOf, type Sample } from '../helpers/prometheus-text.js';
import { countDecodedFrames, TestStack } from '../helpers/stack.js';
import { freePort, mediaPath } from '../helpers/test-env.js';

/**
 * A real run scraped while it happens: the API's /metrics (HTTP, queues, videos) and the metrics
 * ports of the processor and a detector. The detector's frame counter must equal the frames
 * ffmpeg decodes from the file, and every chunk must show up once in the job histogram.
 */
describe('metrics during a real run', () => {
  let stack: TestStack;
  let apiUrl = '';
  let server: ReturnType<TestStack['api']['app']['listen']>;
  const ports = { processor: 0, detector: 0 };

  before(async () => {
    stack = await TestStack.start({ CHUNK_FRAMES: '64', DETECTOR_INTRA_OP_THREADS: '1' });
    ports.processor = await freePort();
    ports.detector = await freePort();
    stack.spawnService('processor', { WORKER_METRICS_PORT: String(ports.processor) });
    stack.spawnService('detector', { WORKER_METRICS_PORT: String(ports.detector) });
    server = stack.api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await stack.waitForWorkers('processor', 1);
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    server.close();
    await stack.stop();
  });

  it('counts every frame, chunk and request of a video, and reports the queues while it runs', async () => {
    const file = mediaPath('friday.mp4');
    const video = await stack.upload(file);
    // While it runs: the queue series exist on the API and the detector's port answers.
    let during: Sample[] = [];
    for (let polls = 0; polls < 200; polls++) {
      during = await scrape(`${apiUrl}/metrics`);
      const detector = sumOf(during, 'video_detect_queue_jobs', { queue: 'detector' });
      if (detector > 0) break;
      if ((await stack.get(video.id)).status === 'completed') break;
      await sleep(50);
    }
    for (const queue of ['processor', 'detector', 'webhooks']) {
      for (const state of ['waiting', 'active', 'failed']) {
        const value = sampleValue(during, 'video_detect_queue_jobs', { queue, state });
        assert.ok(Number.isInteger(value) && value >= 0, `${queue} ${state}: ${value}`);
      }
    }
    const done = await stack.waitForEnd(video.id, 120_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));

    const frames = countDecodedFrames(file);
    const chunks = done.progress.chunks_total ?? 0;
    assert.equal(done.progress.frames_total, frames);
    const detector = await scrape(`http://127.0.0.1:${ports.detector}/metrics`);
    assert.equal(sampleValue(detector, 'video_detect_detector_frames_total'), frames, 'frames counted = frames in the video');
    assert.equal(sampleValue(detector, 'video_detect_job_duration_seconds_count', { queue: 'detector', job_name: 'detect', outcome: 'completed' }), chunks, 'one chunk duration per chunk');
    const inferred = sumOf(detector, 'video_detect_detector_inference_seconds_count');
    assert.ok(inferred >= 1 && inferred <= frames, `inference runs: ${inferred}`);
    const inferenceSeconds = sumOf(detector, 'video_detect_detector_inference_seconds_sum');
    assert.ok(inferenceSeconds > 0 && inferenceSeconds / inferred < 5, `mean inference ${inferenceSeconds / inferred} s`);
    const fps = sampleValue(detector, 'video_detect_detector_fps');
    assert.ok(fps > 0.5 && fps < 10_000, `fps ${fps}`);
    assert.ok(sampleValue(detector, 'nodejs_eventloop_lag_seconds', { service: 'detector' }) >= 0, 'event-loop lag');

    const processor = await scrape(`http://127.0.0.1:${ports.processor}/metrics`);
    assert.equal(sampleValue(processor, 'video_detect_video_latency_seconds_count', { status: 'completed' }), 1, 'one video end to end');
    const latency = sampleValue(processor, 'video_detect_video_latency_seconds_sum', { status: 'completed' });
    assert.ok(latency > 0 && latency < 120, `latency ${latency} s`);
    assert.equal(sampleValue(processor, 'video_detect_videos_finished_total', { status: 'completed' }), 1);
    for (const job of ['plan', 'merge', 'track']) {
      assert.equal(sampleValue(processor, 'video_detect_job_duration_seconds_count', { queue: 'processor', job_name: job, outcome: 'completed' }), 1, job);
    }

    const api = await scrape(`${apiUrl}/metrics`);
    assert.equal(sampleValue(api, 'video_detect_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/videos', status: '202' }), 1, 'the upload');
    assert.ok(sampleValue(api, 'video_detect_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/videos/:id', status: '200' }) >= 1, 'status polls by route template');
    assert.ok(!api.some((s) => s.labels.route?.includes(video.id)), 'no video id in a route label');
    assert.equal(sampleValue(api, 'video_detect_queue_jobs', { queue: 'detector', state: 'failed' }), 0);
    assert.ok(sampleValue(api, 'nodejs_eventloop_lag_seconds', { service: 'api' }) >= 0);
  });

  it('counts a failed job by its error code', async () => {
    // Added behind the producer's schema check: the processor refuses it for good as invalid_payload.
    await stack.api.ctx.jobs.queues.processor.add('plan', { videoId: 'not-a-video-id' });
    const labels = { queue: 'processor', job_name: 'plan', code: 'invalid_payload', final: 'true' };
    for (let polls = 0; ; polls++) {
      const processor = await scrape(`http://127.0.0.1:${ports.processor}/metrics`);
      if (sumOf(processor, 'video_detect_job_failures_total', labels) === 1) break;
      assert.ok(polls < 100, 'the failure is counted within 10 s');
      await sleep(100);
    }
    const api = await scrape(`${apiUrl}/metrics`);
    assert.equal(sampleValue(api, 'video_detect_queue_jobs', { queue: 'processor', state: 'failed' }), 1, 'the failed job in the queue gauge');
  });
});
