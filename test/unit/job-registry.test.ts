import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import {
  classifyFailure,
  DecodeFailedError,
  defineJobHandler,
  detectJobSchema,
  FailureCode,
  FfmpegMissingError,
  handlerTable,
  jobIdOf,
  JobName,
  jobNames,
  jobOptionsOf,
  jobRegistry,
  loadConfig,
  QueueName,
  UnreadableVideoError,
} from '@video-detect/shared';

const videoId = '7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11';
const run = () => Promise.reject(new Error('not run here'));

describe('job registry', () => {
  it('gives every job a queue, schemas, an id from its video and options from config', () => {
    const config = loadConfig({ CHUNK_ATTEMPTS: '5', CHUNK_BACKOFF_MS: '700' });
    assert.deepEqual(jobNames, [JobName.Plan, JobName.Merge, JobName.Track, JobName.Analyse, JobName.Detect, JobName.Deliver, JobName.Render]);
    assert.equal(jobIdOf(JobName.Plan, { videoId }), videoId, 'one plan per video: the API never queues a video twice');
    assert.equal(jobIdOf(JobName.Merge, { videoId }), `${videoId}-merge`);
    assert.equal(jobIdOf(JobName.Detect, { videoId, chunkIndex: 3 }), `${videoId}-chunk-3`);
    assert.equal(jobIdOf(JobName.Track, { videoId }), `${videoId}-track`);
    assert.equal(jobIdOf(JobName.Analyse, { analysisId: videoId }), `analysis-${videoId}`);
    assert.deepEqual(jobOptionsOf(JobName.Merge, { videoId, chunksTotal: 2 }, config), {
      jobId: `${videoId}-merge`,
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
    });
    const detect = jobRegistry.detect.options(config.jobs);
    assert.equal(detect.attempts, 5);
    assert.deepEqual(detect.backoff, { type: 'exponential', delay: 700 });
    assert.equal(detect.ignoreDependencyOnFailure, true);
  });

  it('delivers webhooks on their own queue, one job per endpoint and event, retried over hours, failing no video', () => {
    const config = loadConfig({ WEBHOOK_ATTEMPTS: '4', WEBHOOK_BACKOFF_MS: '500' });
    const endpointId = '0f8e4c6a-6f3b-4d7e-9a51-2b8c1d3e4f50';
    assert.equal(jobRegistry.deliver.queue, QueueName.Webhooks);
    assert.equal(jobIdOf(JobName.Deliver, { endpointId, messageId: 'evt_1-0' }), `${endpointId}-evt_1-0`);
    const options = jobOptionsOf(JobName.Deliver, { endpointId, messageId: 'evt_1-0', type: 'video.completed', body: '{}' }, config);
    assert.equal(options.attempts, 4);
    assert.deepEqual(options.backoff, { type: 'exponential', delay: 500 });
    assert.equal(jobRegistry.deliver.failure.failsVideo, false);
    const defaults = jobRegistry.deliver.options(loadConfig({}).jobs);
    assert.deepEqual([defaults.attempts, defaults.backoff], [12, { type: 'exponential', delay: 30_000 }], 'the schedule docs/integrations.md states');
  });

  it('renders on their own queue (never a detector slot), one job per render, failing no video', () => {
    const renderId = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    assert.equal(jobRegistry.render.queue, QueueName.Renders);
    assert.notEqual(jobRegistry.render.queue, jobRegistry.detect.queue);
    assert.equal(jobIdOf(JobName.Render, { renderId }), `render-${renderId}`);
    assert.equal(jobOptionsOf(JobName.Render, { videoId, renderId }, loadConfig({ RENDER_ATTEMPTS: '3' })).attempts, 3);
    assert.deepEqual(jobOptionsOf(JobName.Render, { videoId, renderId }, loadConfig({})).backoff, { type: 'exponential', delay: 5000 });
    assert.deepEqual(jobOptionsOf(JobName.Render, { videoId, renderId }, loadConfig({ RENDER_BACKOFF_MS: '200' })).backoff, { type: 'exponential', delay: 200 });
    assert.equal(jobRegistry.render.failure.failsVideo, false);
  });

  it('reads detect payloads queued before frameIndices was named (`frames`)', () => {
    const payload = {
      videoId, chunkIndex: 0, file: 'x.mp4', streamIndex: 0, width: 4, height: 2, startFrame: 0, endFrame: 3,
      selectFrom: null, selectTo: 0.1, seekTo: 0, timestamps: [0, 0.04], options: { min_score: null, classes: null },
    };
    assert.deepEqual(detectJobSchema.parse({ ...payload, frames: [0, 2] }).frameIndices, [0, 2]);
    assert.deepEqual(detectJobSchema.parse({ ...payload, frameIndices: [1, 2] }).frameIndices, [1, 2]);
    assert.throws(() => detectJobSchema.parse({ ...payload, frameIndices: [2, 1] }), /not strictly ascending/);
    assert.throws(() => detectJobSchema.parse({ ...payload, frameIndices: [0, 3] }), /frame 3 is outside \[0, 3\)/);
  });
});

describe('start-up refuses a queue whose jobs do not have exactly one handler each', () => {
  const plan = defineJobHandler(JobName.Plan, run);
  const merge = defineJobHandler(JobName.Merge, run);
  const detect = defineJobHandler(JobName.Detect, run);
  const track = defineJobHandler(JobName.Track, run);
  const analyse = defineJobHandler(JobName.Analyse, run);
  const processorJobs = [plan, merge, track, analyse];

  it('maps each job of the queue, and its former names, to its handler', () => {
    const table = handlerTable(QueueName.Processor, processorJobs);
    assert.deepEqual([...table.keys()].sort(), ['analyse', 'merge', 'plan', 'process', 'track']);
    assert.equal(table.get('process'), plan);
  });

  it('no handler, two handlers, or a handler of another queue', () => {
    assert.throws(() => handlerTable(QueueName.Processor, [plan, track, analyse]), /job "merge" has 0 handlers/);
    assert.throws(() => handlerTable(QueueName.Processor, [...processorJobs, merge]), /job "merge" has 2 handlers/);
    // @ts-expect-error: the types already refuse a detector job on the processor queue.
    assert.throws(() => handlerTable(QueueName.Processor, [...processorJobs, detect]), /job "detect" runs on queue detector, not processor/);
  });
});

describe('failure classification', () => {
  it('branches on the class: unrecoverable ones carry their code, retryable ones too, anything else takes the job\'s', () => {
    assert.deepEqual(classifyFailure(new UnreadableVideoError('no video stream'), FailureCode.PlanFailed), { code: 'unreadable_video', retryable: false });
    assert.deepEqual(classifyFailure(new FfmpegMissingError('ffmpeg', '/x'), FailureCode.ChunkFailed), { code: 'ffmpeg_missing', retryable: false });
    assert.deepEqual(classifyFailure(new DecodeFailedError('short', 12), FailureCode.ChunkFailed), { code: 'decode_failed', retryable: true });
    assert.deepEqual(classifyFailure(new Error('unreadable video: looks like one but is not'), FailureCode.PlanFailed), { code: 'processing_failed', retryable: true });
    assert.deepEqual(classifyFailure(new UnrecoverableError('cannot split'), FailureCode.PlanFailed), { code: 'processing_failed', retryable: false });
    assert.ok(new FfmpegMissingError('ffmpeg', '/x') instanceof UnrecoverableError, 'BullMQ does not retry it');
    assert.equal(new UnreadableVideoError('x').name, 'UnreadableVideoError');
    assert.equal(new DecodeFailedError('x', null).name, 'DecodeFailedError');
  });
});
