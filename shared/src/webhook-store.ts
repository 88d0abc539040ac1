import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from './config.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { readHashes } from './redis.js';
import { updateIfScript } from './video-scripts.js';

/** A user's webhook endpoint as stored (hash `vd:webhook:<id>`). */
export interface WebhookEndpoint {
  id: string;
  owner_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  /** Standard Webhooks secret (`whsec_` + base64): signs every delivery. */
  secret: string;
  /** The secret before the last rotation: deliveries carry its signature too until `previous_secret_expires_at`. */
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
  /** When the first of the failures since the last successful delivery happened. */
  failing_since: string | null;
}

export const deliveryOutcomes = ['delivered', 'retrying', 'failed', 'skipped'] as const;

/** One delivery attempt, as the endpoint's delivery log keeps it. */
export const deliveryAttemptSchema = z.object({
  message_id: z.string().describe('The `webhook-id` header: one per event, the same on every attempt.'),
  event_type: z.string(),
  attempt: z.number().int().describe('1 for the first try.'),
  at: z.string().describe('When the attempt started.'),
  outcome: z.enum(deliveryOutcomes).describe('`retrying`: it failed and runs again at `next_retry_at`; `failed`: it failed for good; `skipped`: the endpoint was disabled.'),
  status_code: z.number().int().nullable().describe("The receiver's HTTP status; null when no answer came (timeout, refused connection)."),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  next_retry_at: z.string().nullable(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** Takes `failing_since` (kept when already set) and returns it; nothing for an endpoint that is gone. */
const markFailingScript = `
if redis.call('exists', KEYS[1]) == 0 then return false end
redis.call('hsetnx', KEYS[1], 'failing_since', ARGV[1])
return redis.call('hget', KEYS[1], 'failing_since')`;

/** Appends to the delivery log of an endpoint that still exists, keeping the newest ARGV[2]. */
const logAttemptScript = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('lpush', KEYS[2], ARGV[1])
redis.call('ltrim', KEYS[2], 0, tonumber(ARGV[2]) - 1)
return 1`;

/** Every read and write of webhook endpoints and their delivery logs. */
export class WebhookStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** WEBHOOK_DELIVERY_LOG_MAX: attempts kept per endpoint. */
    private readonly logMax: number,
  ) {}

  static open(config: Config, redis: Redis): WebhookStore {
    return new WebhookStore(redis, redisKeys(config.redis.prefix), config.webhooks.deliveryLogMax);
  }

  async create(endpoint: WebhookEndpoint): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.webhook(endpoint.id), toHash(endpoint))
      .zadd(this.keys.userWebhooks(endpoint.owner_id), Date.parse(endpoint.created_at), endpoint.id)
      .exec();
  }

  async count(ownerId: string): Promise<number> {
    return this.redis.zcard(this.keys.userWebhooks(ownerId));
  }

  async get(endpointId: string): Promise<WebhookEndpoint | null> {
    return fromHash(await this.redis.hgetall(this.keys.webhook(endpointId)));
  }

  /** The owner's endpoints, oldest first. */
  async list(ownerId: string): Promise<WebhookEndpoint[]> {
    const ids = await this.redis.zrange(this.keys.userWebhooks(ownerId), 0, -1);
    return (await readHashes(this.redis, ids.map((id) => this.keys.webhook(id)))).flatMap((hash) => fromHash(hash) ?? []);
  }

  /** The owner's enabled endpoints that subscribe to `type`. */
  async subscribers(ownerId: string, type: string): Promise<WebhookEndpoint[]> {
    return (await this.list(ownerId)).filter((e) => !e.disabled_at && e.event_types.includes(type));
  }

  /** Removes the endpoint and its log; deliveries still queued for it find it gone and stop. */
  async delete(endpoint: WebhookEndpoint): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.webhook(endpoint.id), this.keys.webhookDeliveries(endpoint.id))
      .zrem(this.keys.userWebhooks(endpoint.owner_id), endpoint.id)
      .exec();
  }

  /** Sets fields of an endpoint that still exists; false when it is gone. */
  async update(endpointId: string, fields: Partial<WebhookEndpoint>): Promise<boolean> {
    const args = ['', ...Object.entries(toHash(fields)).flat()];
    return (await this.redis.eval(updateIfScript, 1, this.keys.webhook(endpointId), ...args)) === 1;
  }

  /** When the endpoint started failing (set now unless it already was failing); null when it is gone. */
  async markFailing(endpointId: string, at: string): Promise<string | null> {
    return (await this.redis.eval(markFailingScript, 1, this.keys.webhook(endpointId), at)) as string | null;
  }

  /** A delivery got through: the endpoint is no longer failing. */
  async markDelivered(endpointId: string): Promise<void> {
    await this.redis.hdel(this.keys.webhook(endpointId), 'failing_since');
  }

  async logAttempt(endpointId: string, attempt: DeliveryAttempt): Promise<void> {
    await this.redis.eval(logAttemptScript, 2, this.keys.webhook(endpointId), this.keys.webhookDeliveries(endpointId), JSON.stringify(attempt), String(this.logMax));
  }

  /** A page of the delivery log, newest first. */
  async attempts(endpointId: string, offset: number, limit: number): Promise<{ items: DeliveryAttempt[]; total: number }> {
    const key = this.keys.webhookDeliveries(endpointId);
    const [raw, total] = await Promise.all([this.redis.lrange(key, offset, offset + limit - 1), this.redis.llen(key)]);
    return { items: raw.map((json) => deliveryAttemptSchema.parse(JSON.parse(json))), total };
  }
}

/** Flattens (part of) an endpoint into hash fields; null clears to the empty string. */
function toHash(endpoint: Partial<WebhookEndpoint>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(endpoint)) {
    if (value === undefined) continue;
    out[key] = value === null ? '' : Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return out;
}

function fromHash(hash: Record<string, string>): WebhookEndpoint | null {
  if (!hash.id) return null;
  return {
    id: hash.id,
    owner_id: hash.owner_id ?? '',
    url: hash.url ?? '',
    event_types: z.array(z.string()).parse(JSON.parse(hash.event_types || '[]')),
    description: hash.description || null,
    secret: hash.secret ?? '',
    previous_secret: hash.previous_secret || null,
    previous_secret_expires_at: hash.previous_secret_expires_at || null,
    created_at: hash.created_at ?? '',
    disabled_at: hash.disabled_at || null,
    disabled_reason: hash.disabled_reason || null,
    failing_since: hash.failing_since || null,
  };
}
