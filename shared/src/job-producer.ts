import { FlowProducer, Queue, type FlowJob, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueOptions } from './bull.js';
import type { Config } from './config.js';
import { jobIdOf, jobOptionsOf, jobRegistry, type JobKey, type JobName, type JobOf, type JobPayload } from './job-registry.js';
import { QueueName } from './queues.js';

/** A job to add: its name and payload; queue, id and options come from the registry. */
export type JobRequest = { [N in JobName]: { name: N; data: JobPayload<N>; priority?: number } }[JobName];

/**
 * The one way jobs are added: typed by name, checked against the payload schema (a job that
 * would fail its worker's check is never queued), on the registry's queue with its id and options.
 */
export class JobProducer {
  readonly queues: { [Q in QueueName]: Queue };
  private readonly flows: FlowProducer;

  constructor(
    private readonly config: Config,
    connection: Redis,
    extra: Partial<QueueOptions> = {},
  ) {
    const options = { ...queueOptions(config, connection), ...extra };
    this.queues = {
      processor: new Queue(QueueName.Processor, options),
      detector: new Queue(QueueName.Detector, options),
      webhooks: new Queue(QueueName.Webhooks, options),
      renders: new Queue(QueueName.Renders, options),
    };
    this.flows = new FlowProducer(options);
  }

  async add<N extends JobName>(name: N, data: JobPayload<N>): Promise<JobOf<N>> {
    const job = this.toFlowJob({ name, data } as JobRequest);
    return (await this.queues[job.queueName as QueueName].add(name, job.data, job.opts)) as JobOf<N>;
  }

  /** A parent job that runs once every child is done (completed, or failed for good when the child's options allow). */
  async addFlow(parent: JobRequest, children: JobRequest[]): Promise<void> {
    await this.flows.add({ ...this.toFlowJob(parent), children: children.map((child) => this.toFlowJob(child)) });
  }

  async getJob<N extends JobName>(name: N, key: JobKey<N>): Promise<JobOf<N> | undefined> {
    return (await this.queues[jobRegistry[name].queue].getJob(jobIdOf(name, key))) as JobOf<N> | undefined;
  }

  /** Removes a job unless it is running (BullMQ answers 0 for a locked job); `removeChildren` for a flow's parent. */
  async remove<N extends JobName>(name: N, key: JobKey<N>, opts: { removeChildren?: boolean } = {}): Promise<number> {
    return this.queues[jobRegistry[name].queue].remove(jobIdOf(name, key), opts);
  }

  /**
   * Removes a job that is waiting or finished (a flow's parent with its children); 'running' when
   * it (or a child) is held by a worker and cannot be removed (its handler sees the video's new
   * status and stops), 'absent' when there is no such job.
   */
  async removeUnlessRunning<N extends JobName>(name: N, key: JobKey<N>): Promise<'removed' | 'absent' | 'running'> {
    if ((await this.remove(name, key)) === 1) return 'removed';
    return (await this.getJob(name, key)) ? 'running' : 'absent';
  }

  /** Connection errors of every queue and of the flow producer (unheard, an emitter's `error` would end the process). */
  onError(listener: (err: Error) => void): void {
    for (const queue of Object.values(this.queues)) queue.on('error', listener);
    this.flows.on('error', listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.flows.close(), ...Object.values(this.queues).map((q) => q.close())]);
  }

  private toFlowJob({ name, data, priority }: JobRequest): FlowJob {
    const parsed = jobRegistry[name].payload.parse(data) as JobPayload<typeof name>;
    const opts = jobOptionsOf(name, parsed, this.config);
    // A job's turn among others of its queue (fair-priorities.ts); none: ahead of every prioritized job.
    return { name, queueName: jobRegistry[name].queue, data: parsed, opts: priority ? { ...opts, priority } : opts };
  }
}
