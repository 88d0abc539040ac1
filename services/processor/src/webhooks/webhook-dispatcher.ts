import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { eventEnvelope, JobName, streamFields, streamIdTime, type JobProducer, type Logger, type RedisKeys, type WebhookStore } from '@video-detect/shared';

/** The consumer group every processor reads the outbox in: each event goes to one of them. */
const GROUP = 'dispatch';

type StreamEntry = [string, string[]];

export interface WebhookDispatcherSetup {
  /** A connection of its own: XREADGROUP blocks it. Closed with the dispatcher. */
  redis: Redis;
  keys: RedisKeys;
  webhooks: WebhookStore;
  jobs: JobProducer;
  logger: Logger;
  /** This process's name in the group (`<host>:<pid>`). */
  consumer: string;
  /** @defaultValue 1000: how long one read waits for events (and at most how long `close` waits). */
  blockMs?: number;
  /** @defaultValue 60000: events another consumer read but did not finish for this long are taken over. */
  claimIdleMs?: number;
}

/**
 * Turns the webhook outbox into deliveries. VideoStore.finish (and EventLog.publish) append an event
 * to the outbox in the same atomic step as the change it announces; every processor reads the
 * outbox in one consumer group, adds one `deliver` job per subscribed endpoint (job id = endpoint +
 * event, so an event read twice is still delivered once per endpoint), then acknowledges and
 * deletes the entry. Entries of a processor that died before acknowledging are taken over by
 * another after `claimIdleMs`.
 */
export class WebhookDispatcher {
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;

  constructor(private readonly setup: WebhookDispatcherSetup) {
    this.blockMs = setup.blockMs ?? 1000;
    this.claimIdleMs = setup.claimIdleMs ?? 60_000;
  }

  async start(): Promise<void> {
    try {
      await this.setup.redis.xgroup('CREATE', this.setup.keys.webhookOutbox, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      // BUSYGROUP is Redis's error code for a group that exists already (another processor made it).
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
    this.loop = this.run();
  }

  /** Stops reading (within `blockMs`), lets the events in hand be queued, then closes its connection; safe to call twice. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.loop = null;
    if (this.setup.redis.status === 'ready') {
      // A consumer with nothing pending leaves the group, so stopped processors do not pile up in it.
      const pending = await this.setup.redis.xpending(this.setup.keys.webhookOutbox, GROUP, '-', '+', 1, this.setup.consumer);
      if (pending.length === 0) await this.setup.redis.xgroup('DELCONSUMER', this.setup.keys.webhookOutbox, GROUP, this.setup.consumer);
    }
    this.setup.redis.disconnect();
  }

  private async run(): Promise<void> {
    const { redis, keys, consumer, logger } = this.setup;
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim >= this.claimIdleMs) {
          lastClaim = Date.now();
          const [, claimed] = (await redis.xautoclaim(keys.webhookOutbox, GROUP, consumer, this.claimIdleMs, '0-0', 'COUNT', 100)) as [string, StreamEntry[]];
          for (const entry of claimed) await this.dispatch(entry);
        }
        const reply = (await redis.xreadgroup('GROUP', GROUP, consumer, 'COUNT', 50, 'BLOCK', this.blockMs, 'STREAMS', keys.webhookOutbox, '>')) as
          | Array<[string, StreamEntry[]]>
          | null;
        for (const [, entries] of reply ?? []) for (const entry of entries) await this.dispatch(entry);
      } catch (err) {
        if (this.stopping) break;
        logger.warn({ err }, 'webhook dispatch failed; retrying in a second');
        await sleep(1000);
      }
    }
  }

  private async dispatch([id, fields]: StreamEntry): Promise<void> {
    const f = streamFields(fields);
    const [owner, type, data, event] = [f.get('owner'), f.get('type'), f.get('data'), f.get('event')];
    if (owner && type && data && event) {
      const endpoints = await this.setup.webhooks.subscribers(owner, type);
      const body = eventEnvelope(type, streamIdTime(event), data);
      for (const endpoint of endpoints) await this.setup.jobs.add(JobName.Deliver, { endpointId: endpoint.id, messageId: `evt_${id}`, type, body });
      this.setup.logger.debug({ event: id, type, endpoints: endpoints.length }, 'webhook deliveries queued');
    } else {
      this.setup.logger.warn({ event: id }, 'malformed outbox entry dropped');
    }
    await this.setup.redis.multi().xack(this.setup.keys.webhookOutbox, GROUP, id).xdel(this.setup.keys.webhookOutbox, id).exec();
  }
}
