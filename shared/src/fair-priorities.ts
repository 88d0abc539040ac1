import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

/** BullMQ's largest job priority (`PRIORITY_LIMIT`, 2^21 - 1); smaller numbers run first. */
export const MAX_JOB_PRIORITY = 2 ** 21 - 1;

/**
 * KEYS[1] hash: owner id -> the virtual time after that owner's last queued chunk.
 * ARGV[1] owner, ARGV[2] the priority of the first waiting job (0: none waits), ARGV[3] chunks,
 * ARGV[4] the hash's TTL (s). Returns the virtual time the owner's new chunks start after.
 * With nothing waiting there is nobody to be fair to: every owner starts again from 0.
 */
const assignScript = `
local head = tonumber(ARGV[2])
if head == 0 then redis.call('del', KEYS[1]) end
local last = tonumber(redis.call('hget', KEYS[1], ARGV[1]) or '0')
-- The clock: the turn of the chunk now running, one before the head; a newcomer's first chunk goes
-- one before that, so it is the next chunk taken (ties run oldest first, so level would be too late).
local start = math.max(last, head - 2, 0)
redis.call('hset', KEYS[1], ARGV[1], start + tonumber(ARGV[3]))
redis.call('expire', KEYS[1], tonumber(ARGV[4]))
return start`;

/**
 * Fair turns on the detector queue with BullMQ's own priorities (no Pro groups): start-time fair
 * queuing. Each owner's chunks are numbered on from where that owner's queued work ends, but
 * never from before the virtual clock (the turn of the chunks now running, one before the queue's
 * head). So a new user's first chunk is the next one any detector takes, and owners with work
 * waiting take turns, one chunk each, whatever each has queued; equal priorities run in the order
 * they were added. One owner's videos run one after another. docs/scaling.md explains the numbers
 * and their limit.
 */
export class FairPriorities {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly queue: Queue,
  ) {}

  /** BullMQ priorities for `count` new chunks of `ownerId`, in chunk order. */
  async assign(ownerId: string, count: number): Promise<number[]> {
    if (count === 0) return [];
    const [head] = await this.queue.getPrioritized(0, 0);
    const start = (await this.redis.eval(assignScript, 1, this.keys.fairTurns, ownerId, String(head?.priority ?? 0), String(count), String(7 * 24 * 3600))) as number;
    return fairPriorities(start, count);
  }
}

/** Priorities start+1 … start+count, held at BullMQ's limit (beyond it, chunks run in the order added). */
export function fairPriorities(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.min(start + 1 + i, MAX_JOB_PRIORITY));
}
