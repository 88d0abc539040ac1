import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '@video-detect/shared';
import { HttpError } from './http-error.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Longest key accepted (characters). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** A request in flight holds its key this long, renewed while it runs, so a crashed replica frees the key soon. */
const LOCK_MS = 120_000;

/** A completed request's response, replayed for the same key and request. */
interface StoredResponse {
  state: 'completed';
  fingerprint: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}
type Entry = { state: 'in_flight'; token: string } | StoredResponse;

/** What the claim middleware found for this request; `ApiRoutes` finishes the job once the body is read. */
export interface IdempotencyClaim {
  key: string;
  /** Set when this request holds the key (runs the handler); null when it replays a stored response. */
  token: string | null;
  stored: StoredResponse | null;
}

/** Sets ARGV[2] with PX ARGV[3] (or EX ARGV[4] when set), only while KEYS[1] still holds token ARGV[1]; ARGV[2] '' deletes. */
const ownedScript = `
local entry = redis.call('get', KEYS[1])
if not entry or cjson.decode(entry).token ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('del', KEYS[1]) end
if ARGV[4] ~= '' then redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[4]) else redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

/** The key as the header carries it: a Structured Field string (quoted) or bare, 1..255 visible ASCII characters. */
export function parseIdempotencyKey(raw: string): string {
  const key = /^"(.*)"$/.exec(raw.trim())?.[1] ?? raw.trim();
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw new HttpError(400, 'invalid_request', `Invalid headers: ${IDEMPOTENCY_HEADER}: 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters.`);
  }
  return key;
}

/**
 * What makes two requests "the same": method, path and query, and the body (JSON as parsed; an
 * upload's text fields, file name and content, hashed as stored).
 */
export async function requestFingerprint(req: Request): Promise<string> {
  const hash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n`);
  if (req.file) {
    const fields = Object.entries((req.body ?? {}) as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    hash.update(`${JSON.stringify(fields)}\n${req.file.originalname}\n`);
    for await (const chunk of createReadStream(req.file.path)) hash.update(chunk as Buffer);
  } else {
    hash.update(JSON.stringify(req.body ?? null));
  }
  return hash.digest('hex');
}

/** Reads what is left of the request body and drops it. */
function discardBody(req: Request): Promise<void> {
  if (req.complete) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve).once('close', resolve).once('error', resolve);
    req.resume();
  });
}

export const idempotencyClaimOf = (res: Response): IdempotencyClaim | undefined => (res.locals as { idempotency?: IdempotencyClaim }).idempotency;

/**
 * Idempotency-Key (IETF httpapi draft) for POSTs that start work, per user, kept IDEMPOTENCY_TTL_SECONDS:
 * the first request with a key runs and its 2xx response is stored; the same key with the same
 * request answers that response again (`Idempotent-Replayed: true`) and stores nothing; with
 * another request, 422; while the first is still running, 409. A request that fails frees its key.
 */
export class Idempotency {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Runs after auth and before the body is parsed. A refused request (a bad key, 409) is answered
   * once its body has been read and dropped: many clients (Node's, Python's requests) report a
   * broken pipe instead of the answer when the server answers while they are still uploading.
   */
  readonly claim: RequestHandler = (req, res, next) => {
    const raw = req.get(IDEMPOTENCY_HEADER);
    if (raw === undefined || !req.user) return next();
    const userId = req.user.id;
    Promise.resolve()
      .then(() => this.claimKey(userId, parseIdempotencyKey(raw), res))
      .then(
        () => next(),
        (err: unknown) => void discardBody(req).then(() => next(err)),
      );
  };

  /** Stores the response of the request that held the key (only while it still holds it). */
  async complete(claim: IdempotencyClaim, response: Omit<StoredResponse, 'state'>): Promise<void> {
    if (!claim.token) return;
    const entry: StoredResponse = { state: 'completed', ...response };
    await this.redis.eval(ownedScript, 1, claim.key, claim.token, JSON.stringify(entry), '', String(this.ttlSeconds));
    claim.token = null;
  }

  private async claimKey(userId: string, key: string, res: Response): Promise<void> {
    const redisKey = this.keys.idempotency(userId, createHash('sha256').update(key).digest('hex'));
    const token = randomUUID();
    // Twice: the first request's entry may expire between our SET and GET.
    for (let tries = 0; tries < 2; tries++) {
      if ((await this.redis.set(redisKey, JSON.stringify({ state: 'in_flight', token }), 'PX', LOCK_MS, 'NX')) === 'OK') {
        const claim: IdempotencyClaim = { key: redisKey, token, stored: null };
        this.holdWhileRunning(claim, res);
        (res.locals as { idempotency?: IdempotencyClaim }).idempotency = claim;
        return;
      }
      const existing = await this.redis.get(redisKey);
      if (existing === null) continue;
      const entry = JSON.parse(existing) as Entry;
      if (entry.state === 'in_flight') break;
      (res.locals as { idempotency?: IdempotencyClaim }).idempotency = { key: redisKey, token: null, stored: entry };
      return;
    }
    throw new HttpError(409, 'idempotency_key_in_use', `A request with this ${IDEMPOTENCY_HEADER} is still running; repeat it once that one has answered.`);
  }

  /** Renews the lock while the request runs; frees the key when it ends without a stored response (an error, a client gone). */
  private holdWhileRunning(claim: IdempotencyClaim, res: Response): void {
    const renew = setInterval(() => {
      if (claim.token) void this.redis.eval(ownedScript, 1, claim.key, claim.token, JSON.stringify({ state: 'in_flight', token: claim.token }), String(LOCK_MS), '').catch(() => undefined);
    }, LOCK_MS / 4);
    renew.unref();
    res.on('close', () => {
      clearInterval(renew);
      if (claim.token) void this.redis.eval(ownedScript, 1, claim.key, claim.token, '', '', '').catch(() => undefined);
    });
  }
}
