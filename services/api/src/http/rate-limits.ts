import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { slowDown } from 'express-slow-down';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { AppContext } from '../context.js';
import { HttpError } from './http-error.js';

export interface RateLimits {
  auth: RequestHandler;
  upload: RequestHandler;
  general: RequestHandler;
  /** Per account, on the routes that check a password: slows down after failures, never refuses. */
  loginSlowDown: RequestHandler;
}

/** The account a password attempt is for: the signed-in user (password change) or the username sent (login). */
function accountKey(req: Request): string {
  const body: unknown = req.body;
  const sent = typeof body === 'object' && body !== null && 'username' in body && typeof body.username === 'string' ? body.username : '';
  // Hashed: the key holds no user input; lower-cased like the username index.
  return createHash('sha256').update((req.user?.username ?? sent).toLowerCase()).digest('hex');
}

/** Fixed-window limits kept in Redis, so they hold across API replicas. */
export function createRateLimits(ctx: AppContext): RateLimits {
  const { windowMs, max, authMax } = ctx.config.api.rateLimit;
  const store = (name: string) =>
    new RedisStore({
      prefix: `${ctx.keys.rateLimit}${name}:`,
      sendCommand: (command: string, ...args: string[]) => ctx.redis.call(command, ...args) as Promise<RedisReply>,
    });
  const limiter = (name: string, limit: number, keyGenerator?: (req: Request) => string) =>
    rateLimit({
      windowMs,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // When Redis is down the request itself fails with 503; the limiter should not turn that into a 500.
      passOnStoreError: true,
      ...(keyGenerator ? { keyGenerator } : {}),
      store: store(name),
      handler: (_req, _res, next) => next(new HttpError(429, 'too_many_requests', 'Too many requests; slow down and retry later.')),
    });
  const slow = ctx.config.api.loginSlowDown;
  return {
    auth: limiter('auth', authMax),
    upload: limiter('upload', Math.max(1, Math.floor(max / 10)), (req) => req.user?.id ?? ipKeyGenerator(req.ip ?? '')),
    general: limiter('general', max),
    // A delay rather than a refusal: a lock-out would let anyone lock a user out by failing on purpose.
    // Only failures count (successful logins are taken back), from every address together.
    loginSlowDown: slowDown({
      windowMs: slow.windowMs,
      delayAfter: slow.after,
      delayMs: (used) => Math.min(slow.maxDelayMs, slow.delayMs * 2 ** Math.min(30, used - slow.after - 1)),
      maxDelayMs: slow.maxDelayMs,
      skipSuccessfulRequests: true,
      passOnStoreError: true,
      keyGenerator: accountKey,
      store: store('login'),
      validate: { delayMs: false },
    }),
  };
}
