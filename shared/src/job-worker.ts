import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { workerOptions } from './bull.js';
import type { Config } from './config.js';
import { describeIssues } from './describe-issues.js';
import { classifyFailure, FailureCode, InvalidPayloadError } from './failures.js';
import { videoJobSchema } from './job-payloads.js';
import { jobNames, jobRegistry, type JobName, type JobNameOn, type JobOf, type JobPayload, type JobResult } from './job-registry.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { QueueName } from './queues.js';
import { VideoStatus, type ErrorInfo } from './video-record.js';
import type { VideoStore } from './video-store.js';

/** What a handler is given: the job, its payload parsed with the registry's schema, and a logger naming the job and video. */
export interface JobRun<N extends JobName> {
  job: JobOf<N>;
  data: JobPayload<N>;
  log: Logger;
}

/** One job's handler, in its own `<job>.handler.ts`; `C` is the service's context. */
export interface JobHandler<N extends JobName, C> {
  name: N;
  run(run: JobRun<N>, ctx: C): Promise<JobResult<N>>;
  /** Called once when the job has failed for good, after its video was finished as failed: for what else the job owns (an analysis). */
  failed?(data: JobPayload<N>, error: ErrorInfo, ctx: C): Promise<void>;
  /**
   * Called when an attempt failed and BullMQ will run the job again after its backoff: to show the
   * reason while it waits (a render's `error`). `attempt` counts from 1.
   */
  retrying?(data: JobPayload<N>, error: ErrorInfo, attempt: { made: number; of: number }, ctx: C): Promise<void>;
}

export function defineJobHandler<N extends JobName, C>(
  name: N,
  run: JobHandler<N, C>['run'],
  failed?: JobHandler<N, C>['failed'],
  retrying?: JobHandler<N, C>['retrying'],
): JobHandler<N, C> {
  return { name, run, ...(failed && { failed }), ...(retrying && { retrying }) };
}

/** Any handler of a job on queue `Q`. */
export type QueueHandler<Q extends QueueName, C> = { [N in JobNameOn<Q>]: JobHandler<N, C> }[JobNameOn<Q>];

export interface JobRunnerSetup<Q extends QueueName, C> {
  queue: Q;
  handlers: ReadonlyArray<QueueHandler<Q, C>>;
  context: C;
  logger: Logger;
  /** Where a video that fails for good is finished. */
  videos: VideoStore;
  /** Records each run's time and outcome and each failure's code. */
  metrics?: ServiceMetrics;
}

export interface JobWorkerSetup<Q extends QueueName, C> extends JobRunnerSetup<Q, C> {
  config: Config;
  connection: Redis;
  /** @defaultValue 1 */
  concurrency?: number;
}

/**
 * Each job name of `queue` (and its former names) to its one handler; throws at start-up when a
 * job has no handler or two, or a handler belongs to another queue.
 */
export function handlerTable<Q extends QueueName, C>(queue: Q, handlers: ReadonlyArray<QueueHandler<Q, C>>): Map<string, QueueHandler<Q, C>> {
  const table = new Map<string, QueueHandler<Q, C>>();
  for (const handler of handlers) {
    if (jobRegistry[handler.name].queue !== queue) throw new Error(`job "${handler.name}" runs on queue ${jobRegistry[handler.name].queue}, not ${queue}`);
  }
  for (const name of jobNames.filter((n) => jobRegistry[n].queue === queue)) {
    const found = handlers.filter((h) => h.name === name);
    if (found.length !== 1) throw new Error(`queue ${queue}: job "${name}" has ${found.length} handlers; it needs exactly one`);
    for (const alias of [name, ...(jobRegistry[name].formerNames ?? [])]) table.set(alias, found[0]!);
  }
  return table;
}

/**
 * The one wrapper every job runs in: find the handler (former names included), parse the payload
 * (invalid: unrecoverable), log with the job and video ids, time the run and classify the outcome.
 * When a job fails for good its video is finished as failed (an unrecoverable error: with its own
 * code; a last attempt: with the job's, e.g. `chunk_failed`) before BullMQ records the failure, so
 * a flow's parent never finds a failed child of a video still `processing`. The error is rethrown,
 * so BullMQ's attempts and backoff apply.
 */
export class JobRunner<Q extends QueueName, C> {
  private readonly table: Map<string, QueueHandler<Q, C>>;
  /** Errors the runner has dealt with; BullMQ's own (a job that stalled too often) are not among them. */
  private readonly seen = new WeakSet<Error>();

  constructor(private readonly setup: JobRunnerSetup<Q, C>) {
    this.table = handlerTable(setup.queue, setup.handlers);
  }

  /** BullMQ's processor function. */
  readonly process = async (job: Job): Promise<unknown> => {
    const handler = this.table.get(job.name) as JobHandler<JobName, C> | undefined;
    const name = handler?.name;
    const log = this.setup.logger.child({ job: job.name, jobId: job.id, videoId: videoIdOf(job), attempt: job.attemptsMade + 1 });
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      if (!name) throw new InvalidPayloadError(`queue ${this.setup.queue} runs no job named "${job.name}"`);
      const parsed = jobRegistry[name].payload.safeParse(job.data);
      if (!parsed.success) throw new InvalidPayloadError(`invalid ${name} payload: ${describeIssues(parsed.error)}`);
      // A job queued under a former name keeps that name in `job.name`.
      const result = await handler.run({ job: job as JobOf<JobName>, data: parsed.data, log }, this.setup.context);
      log.info({ ms: ms(), outcome: 'completed' }, 'job done');
      this.setup.metrics?.jobSeconds.observe({ queue: this.setup.queue, job_name: job.name, outcome: 'completed' }, ms() / 1000);
      return result;
    } catch (err) {
      const { code, retryable } = classifyFailure(err, name ? jobRegistry[name].failure.code : FailureCode.InvalidPayload);
      const attempts = job.opts.attempts ?? 1;
      const final = !retryable || job.attemptsMade + 1 >= attempts;
      const outcome = final ? 'failed' : 'retrying';
      log.warn({ err, code, ms: ms(), outcome }, 'job failed');
      this.setup.metrics?.jobSeconds.observe({ queue: this.setup.queue, job_name: job.name, outcome }, ms() / 1000);
      this.setup.metrics?.jobFailures.inc({ queue: this.setup.queue, job_name: job.name, code, final: String(final) });
      if (err instanceof Error) this.seen.add(err);
      const message = err instanceof Error ? err.message : String(err);
      if (final) {
        // Unrecoverable: the error's own code. Attempts ran out: the job's code, the error's in the message.
        if (retryable && name) await this.failForGood(job, jobRegistry[name].failure.code, `${stepOf(name, job.data)} failed after ${attempts} attempt(s): ${message}`);
        else await this.failForGood(job, code, message);
      } else if (handler?.retrying && name) {
        const parsed = jobRegistry[name].payload.safeParse(job.data);
        // The attempt's own error is what BullMQ must see: a failing hook is only logged.
        if (parsed.success) await handler.retrying(parsed.data, { code, message }, { made: job.attemptsMade + 1, of: attempts }, this.setup.context).catch((e: unknown) => log.error({ err: e }, 'could not record a retry'));
      }
      throw err;
    }
  };

  /** The worker's `failed` listener: BullMQ fails a job that stalled too often without running it again, so `process` never saw it. */
  readonly onFailed = (job: Job | undefined, err: Error): void => {
    const name = job && this.table.get(job.name)?.name;
    if (!job || !name || this.seen.has(err)) return;
    this.setup.metrics?.jobFailures.inc({ queue: this.setup.queue, job_name: job.name, code: jobRegistry[name].failure.code, final: 'true' });
    this.failForGood(job, jobRegistry[name].failure.code, `${stepOf(name, job.data)} failed: ${err.message}`).catch((e: unknown) =>
      this.setup.logger.error({ err: e }, 'could not record a failure'),
    );
  };

  /**
   * Fails the job's video (a no-op once it has ended; none for a job with `failsVideo: false`), then
   * lets the handler fail what else the job owns.
   */
  private async failForGood(job: Job, code: FailureCode, message: string): Promise<void> {
    const name = this.table.get(job.name)?.name;
    const videoId = name && jobRegistry[name].failure.failsVideo === false ? undefined : videoIdOf(job);
    if (videoId && (await this.setup.videos.finish(videoId, { status: VideoStatus.Failed, error: { code, message } }))) {
      this.setup.logger.warn({ job: job.name, jobId: job.id, videoId, code }, 'video failed');
    }
    const handler = this.table.get(job.name) as JobHandler<JobName, C> | undefined;
    const parsed = handler && jobRegistry[handler.name].payload.safeParse(job.data);
    if (handler?.failed && parsed?.success) await handler.failed(parsed.data, { code, message }, this.setup.context);
  }
}

/** The worker of one queue, running every job through a JobRunner; started with `run()` once the process is warm. */
export function createJobWorker<Q extends QueueName, C>(setup: JobWorkerSetup<Q, C>): Worker {
  const runner = new JobRunner(setup);
  const worker = new Worker(setup.queue, runner.process, workerOptions(setup.config, setup.connection, setup.concurrency));
  worker.on('failed', runner.onFailed);
  worker.on('error', (err) => setup.logger.error({ err }, 'worker error'));
  worker.on('stalled', (jobId) => setup.logger.warn({ jobId }, 'job stalled; it goes back to the queue'));
  return worker;
}

function videoIdOf(job: Job): string | undefined {
  return videoJobSchema.safeParse(job.data).data?.videoId;
}

/** How a failure message names the step ("chunk 3"), from the job's payload; the job name when it does not parse. */
function stepOf(name: JobName, data: unknown): string {
  const parsed = jobRegistry[name].payload.safeParse(data);
  return parsed.success ? (jobRegistry[name].failure.step as (payload: unknown) => string)(parsed.data) : name;
}
