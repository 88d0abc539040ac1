import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { AppContext } from '../context.js';
import { HttpError } from './http-error.js';

export interface RateLimits {
  auth: RequestHandler;
  upload: RequestHandler;
  general: RequestHandler;
}

/** Fixed-window limits kept in Redis, so they hold across API replicas. */
export function createRateLimits(ctx: AppContext): RateLimits {
  const { windowMs, max, authMax } = ctx.config.api.rateLimit;
  const limiter = (name: string, limit: number, keyGenerator?: (req: Request) => string) =>
    rateLimit({
      windowMs,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // When Redis is down the request itself fails with 503; the limiter should not turn that into a 500.
      passOnStoreError: true,
      ...(keyGenerator ? { keyGenerator } : {}),
      store: new RedisStore({
        prefix: `${ctx.keys.rateLimit}${name}:`,
        sendCommand: (command: string, ...args: string[]) => ctx.redis.call(command, ...args) as Promise<RedisReply>,
      }),
      handler: (_req, _res, next) => next(new HttpError(429, 'too_many_requests', 'Too many requests; slow down and retry later.')),
    });
  return {
    auth: limiter('auth', authMax),
    upload: limiter('upload', Math.max(1, Math.floor(max / 10)), (req) => req.user?.id ?? ipKeyGenerator(req.ip ?? '')),
    general: limiter('general', max),
  };
}
