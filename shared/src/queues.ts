/** Queue names: the only place they are spelled. Which job runs on which queue is in `job-registry.ts`. */
export const QueueName = {
  Processor: 'processor',
  Detector: 'detector',
  /** Webhook deliveries (run by the processor, beside its own queue: docs/integrations.md). */
  Webhooks: 'webhooks',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
