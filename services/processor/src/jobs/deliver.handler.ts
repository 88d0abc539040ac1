import { Backoffs } from 'bullmq';
import {
  defineJobHandler,
  JobName,
  WebhookDeliveryError,
  WebhookEndpointDisabledError,
  type DeliveryAttempt,
  type JobOf,
} from '@video-detect/shared';
import type { ProcessorContext } from '../context.js';
import { signedHeaders } from '../webhooks/webhook-signature.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The `deliver` job: one event to one endpoint, signed (Standard Webhooks) at each attempt, each
 * attempt written to the endpoint's delivery log. A failed attempt throws WebhookDeliveryError, so
 * BullMQ retries it with the registry's backoff; an endpoint whose deliveries have all failed for
 * WEBHOOK_DISABLE_AFTER_DAYS is disabled, with the reason on the endpoint, and its deliveries stop.
 */
export const deliverHandler = defineJobHandler(JobName.Deliver, async ({ job, data, log }, ctx: ProcessorContext) => {
  const endpoint = await ctx.webhooks.get(data.endpointId);
  if (!endpoint) {
    log.info({ endpointId: data.endpointId }, 'endpoint deleted: delivery dropped');
    return { outcome: 'skipped' as const, statusCode: null };
  }
  const at = new Date();
  const attempt = { message_id: data.messageId, event_type: data.type, attempt: job.attemptsMade + 1, at: at.toISOString() };
  if (endpoint.disabled_at) {
    const error = `the endpoint is disabled: ${endpoint.disabled_reason ?? 'no reason recorded'}`;
    await ctx.webhooks.logAttempt(endpoint.id, { ...attempt, outcome: 'skipped', status_code: null, duration_ms: 0, error, next_retry_at: null });
    return { outcome: 'skipped' as const, statusCode: null };
  }

  const sent = await ctx.sender.send(endpoint.url, signedHeaders(endpoint, data.messageId, at, data.body), data.body);
  const result = { status_code: sent.statusCode, duration_ms: sent.durationMs, error: sent.error };
  if (sent.ok) {
    await ctx.webhooks.markDelivered(endpoint.id);
    await ctx.webhooks.logAttempt(endpoint.id, { ...attempt, ...result, outcome: 'delivered', next_retry_at: null });
    log.info({ endpointId: endpoint.id, statusCode: sent.statusCode, ms: sent.durationMs }, 'webhook delivered');
    return { outcome: 'delivered' as const, statusCode: sent.statusCode };
  }

  const failingSince = (await ctx.webhooks.markFailing(endpoint.id, attempt.at)) ?? attempt.at;
  const days = ctx.config.webhooks.disableAfterDays;
  if (at.getTime() - Date.parse(failingSince) >= days * DAY_MS) {
    const reason = `every delivery since ${failingSince} failed (${days} days or more); the last one: ${sent.error}`;
    await ctx.webhooks.update(endpoint.id, { disabled_at: attempt.at, disabled_reason: reason });
    await ctx.webhooks.logAttempt(endpoint.id, { ...attempt, ...result, outcome: 'failed', next_retry_at: null });
    log.warn({ endpointId: endpoint.id, failingSince }, 'webhook endpoint disabled');
    throw new WebhookEndpointDisabledError(reason);
  }
  const error = new WebhookDeliveryError(`${endpoint.url}: ${sent.error}`);
  const delay = await nextRetryDelay(job, error);
  const next_retry_at = delay === null ? null : new Date(at.getTime() + sent.durationMs + delay).toISOString();
  await ctx.webhooks.logAttempt(endpoint.id, { ...attempt, ...result, outcome: delay === null ? 'failed' : 'retrying', next_retry_at } satisfies DeliveryAttempt);
  throw error;
});

/** The delay BullMQ will wait before the next attempt (its own calculation); null after the last one. */
async function nextRetryDelay(job: JobOf<typeof JobName.Deliver>, error: Error): Promise<number | null> {
  const attempts = job.opts.attempts ?? 1;
  const backoff = job.opts.backoff === undefined ? undefined : Backoffs.normalize(job.opts.backoff);
  if (job.attemptsMade + 1 >= attempts) return null;
  return backoff ? ((await Backoffs.calculate(backoff, job.attemptsMade + 1, error, job)) ?? 0) : 0;
}
