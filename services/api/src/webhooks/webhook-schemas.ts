import { deliveryAttemptSchema, eventTypes, webhookEventTypes } from '@video-detect/shared';
import { z } from '../http/zod.js';

/** Longest webhook URL accepted (characters). */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

const webhookUrlSchema = z
  .string()
  .max(WEBHOOK_URL_MAX_LENGTH)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }))
  // The signature authenticates the sender; credentials in a URL would end up in logs.
  .refine((url) => !/^https?:\/\/[^/]*@/i.test(url), 'must not contain a user name or password');

const subscribable = webhookEventTypes.map((type) => `\`${type}\` (${eventTypes[type].description})`).join('; ');

export const createWebhookSchema = z
  .object({
    url: webhookUrlSchema.openapi({
      example: 'https://example.com/hooks/video-detect',
      description: `http or https, up to ${WEBHOOK_URL_MAX_LENGTH} characters. Loopback, private, link-local and metadata addresses are refused (when saved, and again at every connection) unless the operator allows them (WEBHOOK_ALLOWED_ADDRESSES).`,
    }),
    event_types: z
      .array(z.enum(webhookEventTypes))
      .min(1)
      .refine((types) => new Set(types).size === types.length, 'each type at most once')
      .openapi({ uniqueItems: true, description: `Events to receive, each at most once: ${subscribable}.` }),
    description: z.string().max(200).optional().openapi({ description: 'A note for you (at most 200 characters).' }),
  })
  .openapi('WebhookCreate');

export const webhookIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '0f8e4c6a-6f3b-4d7e-9a51-2b8c1d3e4f50' }),
});

export const webhookSchema = z
  .object({
    id: z.string().uuid(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    disabled_at: z.string().nullable(),
    disabled_reason: z.string().nullable().openapi({ description: 'Why deliveries stopped (every delivery failed for WEBHOOK_DISABLE_AFTER_DAYS); POST …/enable resumes them.' }),
    failing_since: z.string().nullable().openapi({ description: 'When the failures since the last successful delivery began; null while deliveries succeed.' }),
    created_at: z.string(),
    links: z.object({ self: z.string(), deliveries: z.string() }),
  })
  .openapi('Webhook');
export type WebhookResource = z.input<typeof webhookSchema>;

export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().openapi({ description: 'The Standard Webhooks signing secret (`whsec_…`). Shown only here: keep it.' }),
  })
  .openapi('WebhookWithSecret');

export const webhookListSchema = z.object({ items: z.array(webhookSchema) }).openapi('WebhookList');

export const deliveriesQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0).openapi({ description: 'Attempts to skip.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'Page size (1..100).' }),
});

export const deliveriesPageSchema = z
  .object({
    items: z.array(z.object(deliveryAttemptSchema.shape).openapi('DeliveryAttempt')),
    next_offset: z.number().int().nullable(),
  })
  .openapi('DeliveryAttempts');

export const testDeliverySchema = z
  .object({
    message_id: z.string().openapi({ description: 'The `webhook-id` of the test delivery; its attempts show in …/deliveries.' }),
    event_type: z.string(),
  })
  .openapi('WebhookTestDelivery');
