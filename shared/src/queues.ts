/** Queue names: the only place they are spelled. Which job runs on which queue is in `job-registry.ts`. */
export const QueueName = {
  Processor: 'processor',
  Detector: 'detector',
  /** Webhook deliveries (run by the processor, beside its own queue: docs/integrations.md). */
  Webhooks: 'webhooks',
  /** Annotated videos (run by the processor with RENDER_CONCURRENCY of their own, never a detector's slot). */
  Renders: 'renders',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
