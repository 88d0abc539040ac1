import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import {
  createWebhookSchema,
  deliveriesPageSchema,
  deliveriesQuerySchema,
  testDeliverySchema,
  webhookIdParamsSchema,
  webhookListSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from './webhook-schemas.js';
import { SECRET_ROTATION_GRACE_HOURS, WebhookService } from './webhook-service.js';

const notFound = 'Unknown webhook endpoint, or not yours.';

export function registerWebhookRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const service = new WebhookService(ctx);
  const tags = ['webhooks'];

  routes.add({
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Register a webhook endpoint',
    description:
      'Events are POSTed to the URL as JSON `{type, timestamp, data}` (`data`: the video resource), signed per the Standard Webhooks specification (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`); a delivery that does not get a 2xx answer in time is retried with exponential backoff over hours. The answer carries the signing secret, the only time it is shown. docs/integrations.md shows how to verify a delivery.',
    tags,
    auth: true,
    idempotent: true,
    body: createWebhookSchema,
    response: { status: 201, description: 'Registered; keep the secret.', schema: webhookWithSecretSchema, headers: { Location: 'URL of the endpoint.' } },
    errors: { 409: 'You have the most endpoints allowed (WEBHOOK_MAX_PER_USER).' },
    handler: async ({ user, body }) => {
      const endpoint = await service.create(user.id, body);
      const resource = service.toResource(endpoint);
      return { body: { ...resource, secret: endpoint.secret }, headers: { Location: resource.links.self } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'List your webhook endpoints',
    tags,
    auth: true,
    response: { status: 200, description: 'Your endpoints, oldest first.', schema: webhookListSchema },
    handler: async ({ user }) => ({ body: { items: (await ctx.webhooks.list(user.id)).map((e) => service.toResource(e)) } }),
  });

  routes.add({
    method: 'get',
    path: '/api/v1/webhooks/:id',
    summary: 'One webhook endpoint: its events, and whether (and why) it is disabled',
    tags,
    auth: true,
    params: webhookIdParamsSchema,
    response: { status: 200, description: 'The endpoint.', schema: webhookSchema },
    errors: { 404: notFound },
    handler: async ({ user, params }) => ({ body: service.toResource(await service.getOwned(user.id, params.id)) }),
  });

  routes.add({
    method: 'delete',
    path: '/api/v1/webhooks/:id',
    summary: 'Delete a webhook endpoint and its delivery log',
    description: 'Deliveries still queued for it are dropped.',
    tags,
    auth: true,
    params: webhookIdParamsSchema,
    response: { status: 204, description: 'Deleted.', schema: undefined },
    errors: { 404: notFound },
    handler: async ({ user, params }) => {
      await ctx.webhooks.delete(await service.getOwned(user.id, params.id));
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/webhooks/:id/deliveries',
    summary: 'The delivery log: every attempt, newest first',
    description: 'Status code, duration, attempt number and, for a failed attempt that will be retried, when. The last WEBHOOK_DELIVERY_LOG_MAX attempts (100 by default) are kept.',
    tags,
    auth: true,
    params: webhookIdParamsSchema,
    query: deliveriesQuerySchema,
    response: { status: 200, description: 'A page of attempts.', schema: deliveriesPageSchema },
    errors: { 404: notFound },
    handler: async ({ user, params, query }) => ({ body: await service.deliveries(await service.getOwned(user.id, params.id), query.offset, query.limit) }),
  });

  routes.add({
    method: 'post',
    path: '/api/v1/webhooks/:id/test',
    summary: 'Send a test event (`webhook.test`) to the endpoint',
    description: 'Delivered, signed, retried and logged like any event; follow it in …/deliveries.',
    tags,
    auth: true,
    idempotent: true,
    params: webhookIdParamsSchema,
    response: { status: 202, description: 'Queued.', schema: testDeliverySchema },
    errors: { 404: notFound, 409: 'The endpoint is disabled.' },
    handler: async ({ user, params }) => ({ body: await service.sendTest(await service.getOwned(user.id, params.id)) }),
  });

  routes.add({
    method: 'post',
    path: '/api/v1/webhooks/:id/rotate-secret',
    summary: 'Rotate the signing secret',
    description: `Answers the new secret (shown only here). For the next ${SECRET_ROTATION_GRACE_HOURS} hours deliveries are signed with both secrets (two signatures in \`webhook-signature\`), so a receiver can switch without missing one.`,
    tags,
    auth: true,
    idempotent: true,
    params: webhookIdParamsSchema,
    response: { status: 200, description: 'The endpoint with its new secret.', schema: webhookWithSecretSchema },
    errors: { 404: notFound },
    handler: async ({ user, params }) => {
      const endpoint = await service.rotateSecret(await service.getOwned(user.id, params.id));
      return { body: { ...service.toResource(endpoint), secret: endpoint.secret } };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/webhooks/:id/enable',
    summary: 'Enable a disabled endpoint again',
    description: 'Deliveries resume with the next event; events while it was disabled are not sent again.',
    tags,
    auth: true,
    params: webhookIdParamsSchema,
    response: { status: 200, description: 'The endpoint, enabled.', schema: webhookSchema },
    errors: { 404: notFound },
    handler: async ({ user, params }) => ({ body: service.toResource(await service.enable(await service.getOwned(user.id, params.id))) }),
  });
}
