import { randomBytes, randomUUID } from 'node:crypto';
import {
  eventEnvelope,
  JobName,
  TEST_EVENT_TYPE,
  type DeliveryAttempt,
  type WebhookEndpoint,
} from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/http-error.js';
import { checkWebhookDestination } from './webhook-destination.js';
import type { WebhookResource } from './webhook-schemas.js';

/** After a rotation, deliveries carry the old secret's signature too for this long, so receivers can switch without a gap. */
export const SECRET_ROTATION_GRACE_HOURS = 24;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const webhookPath = (id: string) => `/api/v1/webhooks/${id}`;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Webhook endpoints behind the routes: ownership, limits, the destination check, secrets, test deliveries. */
export class WebhookService {
  constructor(private readonly ctx: AppContext) {}

  /** The caller's endpoint, or 404 exactly as for an unknown id. */
  async getOwned(ownerId: string, endpointId: string): Promise<WebhookEndpoint> {
    if (!uuidPattern.test(endpointId)) throw notFound('webhook');
    const endpoint = await this.ctx.webhooks.get(endpointId);
    if (!endpoint || endpoint.owner_id !== ownerId) throw notFound('webhook');
    return endpoint;
  }

  async create(ownerId: string, input: { url: string; event_types: string[]; description?: string | undefined }): Promise<WebhookEndpoint> {
    const { maxPerUser, allowedAddresses } = this.ctx.config.webhooks;
    if ((await this.ctx.webhooks.count(ownerId)) >= maxPerUser) {
      throw new HttpError(409, 'webhook_limit_reached', `You have ${maxPerUser} webhook endpoints, the most allowed (WEBHOOK_MAX_PER_USER); delete one first.`);
    }
    await checkWebhookDestination(input.url, allowedAddresses);
    const endpoint: WebhookEndpoint = {
      id: randomUUID(),
      owner_id: ownerId,
      url: input.url,
      event_types: input.event_types,
      description: input.description ?? null,
      secret: newSecret(),
      previous_secret: null,
      previous_secret_expires_at: null,
      created_at: new Date().toISOString(),
      disabled_at: null,
      disabled_reason: null,
      failing_since: null,
    };
    await this.ctx.webhooks.create(endpoint);
    return endpoint;
  }

  /** A new secret; the old one keeps signing (beside it) for SECRET_ROTATION_GRACE_HOURS. */
  async rotateSecret(endpoint: WebhookEndpoint): Promise<WebhookEndpoint> {
    const until = new Date(Date.now() + SECRET_ROTATION_GRACE_HOURS * 3600_000).toISOString();
    const rotated = { ...endpoint, secret: newSecret(), previous_secret: endpoint.secret, previous_secret_expires_at: until };
    if (!(await this.ctx.webhooks.update(endpoint.id, { secret: rotated.secret, previous_secret: rotated.previous_secret, previous_secret_expires_at: until }))) {
      throw notFound('webhook');
    }
    return rotated;
  }

  /** Resumes deliveries of a disabled endpoint (events while it was disabled are not sent again). */
  async enable(endpoint: WebhookEndpoint): Promise<WebhookEndpoint> {
    const cleared = { disabled_at: null, disabled_reason: null, failing_since: null };
    if (!(await this.ctx.webhooks.update(endpoint.id, cleared))) throw notFound('webhook');
    return { ...endpoint, ...cleared };
  }

  /** Queues a `webhook.test` event to this endpoint alone, delivered (and retried, and logged) like any other. */
  async sendTest(endpoint: WebhookEndpoint): Promise<{ message_id: string; event_type: string }> {
    if (endpoint.disabled_at) throw new HttpError(409, 'webhook_disabled', 'The endpoint is disabled; enable it first (POST …/enable).');
    const messageId = `evt_test_${randomUUID()}`;
    const data = JSON.stringify({ webhook_id: endpoint.id, message: 'A test event from video-detect: your endpoint receives and verifies deliveries.' });
    const body = eventEnvelope(TEST_EVENT_TYPE, new Date().toISOString(), data);
    await this.ctx.jobs.add(JobName.Deliver, { endpointId: endpoint.id, messageId, type: TEST_EVENT_TYPE, body });
    return { message_id: messageId, event_type: TEST_EVENT_TYPE };
  }

  async deliveries(endpoint: WebhookEndpoint, offset: number, limit: number): Promise<{ items: DeliveryAttempt[]; next_offset: number | null }> {
    const { items, total } = await this.ctx.webhooks.attempts(endpoint.id, offset, limit);
    return { items, next_offset: offset + limit < total ? offset + limit : null };
  }

  toResource(endpoint: WebhookEndpoint): WebhookResource {
    return {
      id: endpoint.id,
      url: endpoint.url,
      event_types: endpoint.event_types,
      description: endpoint.description,
      status: endpoint.disabled_at ? 'disabled' : 'enabled',
      disabled_at: endpoint.disabled_at,
      disabled_reason: endpoint.disabled_reason,
      failing_since: endpoint.failing_since,
      created_at: endpoint.created_at,
      links: { self: webhookPath(endpoint.id), deliveries: `${webhookPath(endpoint.id)}/deliveries` },
    };
  }
}
