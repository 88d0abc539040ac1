import type { Job, JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { finishedJobRetention } from './bull.js';
import type { Config } from './config.js';
import { FailureCode } from './failures.js';
import {
  analyseJobSchema,
  analyseResultSchema,
  deliverJobSchema,
  deliverResultSchema,
  detectJobSchema,
  detectResultSchema,
  mergeJobSchema,
  mergeResultSchema,
  planJobSchema,
  renderJobSchema,
  renderResultSchema,
  planResultSchema,
  trackJobSchema,
  trackResultSchema,
} from './job-payloads.js';
import { QueueName } from './queues.js';

/** The options a job definition sets; BullMQ's defaults hold for the rest. */
export type JobDefaults = Pick<JobsOptions, 'attempts' | 'backoff' | 'priority' | 'removeOnComplete' | 'removeOnFail' | 'ignoreDependencyOnFailure'>;

/** Everything about one job, in one place: where it runs, what it carries and returns, how it is retried and kept. */
export interface JobDefinition<Q extends QueueName, P extends z.ZodType<object>, R extends z.ZodType, K> {
  queue: Q;
  /** The payload, parsed by the worker wrapper before the handler runs (an invalid one is unrecoverable). */
  payload: P;
  /** What the handler returns; BullMQ keeps it with the finished job until the job is removed. */
  result: R;
  /** A job id derived from the payload (the video and chunk, the endpoint and event), so a retried step never adds a second job. */
  jobId: (key: K) => string;
  options: (jobs: Config['jobs']) => JobDefaults;
  /**
   * How the video fails when this job fails after retrying (its attempts ran out, or it stalled
   * too often): with `code`, and a message naming the step. An unrecoverable error fails it with its own code.
   * `failsVideo: false` for a job whose failure is its own (a webhook delivery): it is logged, no video fails.
   */
  failure: { code: FailureCode; step: (data: z.output<P>) => string; failsVideo?: false };
  /** Names earlier releases queued this job under: workers still run those jobs. */
  formerNames?: readonly string[];
}

const define = <Q extends QueueName, P extends z.ZodType<object>, R extends z.ZodType, K>(definition: JobDefinition<Q, P, R, K>) => definition;

/** Plan and merge only touch Redis and ffprobe: three tries cover a blip. */
const processorRetries: JobDefaults = { attempts: 3, backoff: { type: 'exponential', delay: 2000 } };

/**
 * Every job of the product. Adding one: an entry here, a handler file in the service whose queue
 * runs it, and that handler in the service's list (start-up refuses a job with no handler or two).
 */
export const jobRegistry = {
  plan: define({
    queue: QueueName.Processor,
    payload: planJobSchema,
    result: planResultSchema,
    jobId: ({ videoId }: { videoId: string }) => videoId,
    options: () => ({ ...processorRetries, ...finishedJobRetention }),
    failure: { code: FailureCode.PlanFailed, step: () => 'planning' },
    // The API queued uploads as `process` before the job was named for what it does.
    formerNames: ['process'],
  }),
  merge: define({
    queue: QueueName.Processor,
    payload: mergeJobSchema,
    result: mergeResultSchema,
    jobId: ({ videoId }: { videoId: string }) => `${videoId}-merge`,
    options: () => ({ ...processorRetries, ...finishedJobRetention }),
    failure: { code: FailureCode.MergeFailed, step: () => 'merge' },
  }),
  track: define({
    queue: QueueName.Processor,
    payload: trackJobSchema,
    result: trackResultSchema,
    jobId: ({ videoId }: { videoId: string }) => `${videoId}-track`,
    options: () => ({ ...processorRetries, ...finishedJobRetention }),
    failure: { code: FailureCode.TrackFailed, step: () => 'tracking' },
  }),
  analyse: define({
    queue: QueueName.Processor,
    payload: analyseJobSchema,
    result: analyseResultSchema,
    jobId: ({ analysisId }: { analysisId: string }) => `analysis-${analysisId}`,
    options: () => ({ ...processorRetries, ...finishedJobRetention }),
    // Its video is completed and stays so (finishing it again does nothing): the handler fails the analysis.
    failure: { code: FailureCode.AnalysisFailed, step: (data) => `analysis ${data.analysisId}` },
  }),
  detect: define({
    queue: QueueName.Detector,
    payload: detectJobSchema,
    result: detectResultSchema,
    jobId: ({ videoId, chunkIndex }: { videoId: string; chunkIndex: number }) => `${videoId}-chunk-${chunkIndex}`,
    options: (jobs) => ({
      attempts: jobs.chunkAttempts,
      backoff: { type: 'exponential', delay: jobs.chunkBackoffMs },
      // A chunk that fails for good does not leave its merge waiting forever: the merge runs and reports it.
      ignoreDependencyOnFailure: true,
      ...finishedJobRetention,
    }),
    failure: { code: FailureCode.ChunkFailed, step: (data) => `chunk ${data.chunkIndex}` },
  }),
  deliver: define({
    queue: QueueName.Webhooks,
    payload: deliverJobSchema,
    result: deliverResultSchema,
    jobId: ({ endpointId, messageId }: { endpointId: string; messageId: string }) => `${endpointId}-${messageId}`,
    // Retries over hours (docs/integrations.md has the schedule); the handler logs each attempt.
    options: (jobs) => ({ attempts: jobs.webhookAttempts, backoff: { type: 'exponential', delay: jobs.webhookBackoffMs }, ...finishedJobRetention }),
    failure: { code: FailureCode.WebhookDeliveryFailed, step: (data) => `delivery of ${data.messageId}`, failsVideo: false },
  }),
  render: define({
    queue: QueueName.Renders,
    payload: renderJobSchema,
    result: renderResultSchema,
    jobId: ({ renderId }: { renderId: string }) => `render-${renderId}`,
    options: (jobs) => ({ attempts: jobs.renderAttempts, backoff: { type: 'exponential', delay: jobs.renderBackoffMs }, ...finishedJobRetention }),
    // Its video stays completed: the handler's failed hook fails the render (with the reason) and removes any partial file.
    failure: { code: FailureCode.RenderFailed, step: (data) => `render ${data.renderId}`, failsVideo: false },
  }),
};

type Registry = typeof jobRegistry;
export type JobName = keyof Registry;
export const JobName = { Plan: 'plan', Merge: 'merge', Track: 'track', Analyse: 'analyse', Detect: 'detect', Deliver: 'deliver', Render: 'render' } as const satisfies Record<string, JobName>;

/** The parsed payload, the result and the id key of job `N` (immich's `JobOf<Name>`, with BullMQ's generics). */
export type JobPayload<N extends JobName> = z.output<Registry[N]['payload']>;
export type JobResult<N extends JobName> = z.output<Registry[N]['result']>;
export type JobKey<N extends JobName> = Parameters<Registry[N]['jobId']>[0];
export type JobOf<N extends JobName> = Job<JobPayload<N>, JobResult<N>, N>;
/** The jobs that run on queue `Q`. */
export type JobNameOn<Q extends QueueName> = { [N in JobName]: Registry[N]['queue'] extends Q ? N : never }[JobName];

export const jobNames = Object.keys(jobRegistry) as JobName[];

export function jobIdOf<N extends JobName>(name: N, key: JobKey<N>): string {
  return (jobRegistry[name].jobId as (key: JobKey<N>) => string)(key);
}

/** Id and options of job `name` for this payload: what `Queue.add` and `FlowProducer.add` are given. */
export function jobOptionsOf<N extends JobName>(name: N, data: JobPayload<N>, config: Config): JobsOptions {
  return { jobId: jobIdOf(name, data as JobKey<N>), ...jobRegistry[name].options(config.jobs) };
}
