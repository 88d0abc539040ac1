import { z } from '../http/zod.js';
import { RedisUnavailableError } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';

const statusSchema = z.object({ status: z.literal('ok') }).openapi('Health');

async function pingWithin(ctx: AppContext, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([ctx.redis.ping().then((r) => r === 'PONG', () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(routes: ApiRoutes, ctx: AppContext): void {
  routes.add({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tags: ['service'],
    auth: false,
    response: { status: 200, description: 'Up.', schema: statusSchema },
    handler: () => Promise.resolve({ body: { status: 'ok' as const } }),
  });
  routes.add({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Redis is reachable',
    tags: ['service'],
    auth: false,
    response: { status: 200, description: 'Ready.', schema: statusSchema },
    errors: { 503: 'Redis is unreachable.' },
    handler: async () => {
      if (!(await pingWithin(ctx, 1000))) throw new RedisUnavailableError();
      return { body: { status: 'ok' as const } };
    },
  });
}
