import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorBodySchema, type ApiRoutes } from '../http/api-routes.js';
import { HttpError } from '../http/http-error.js';

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
    responses: { 200: { description: 'Up.', schema: statusSchema } },
    handler: (_input, _req, res) => {
      res.json({ status: 'ok' });
    },
  });
  routes.add({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Redis is reachable',
    tags: ['service'],
    responses: { 200: { description: 'Ready.', schema: statusSchema }, 503: { description: 'Redis is unreachable.', schema: errorBodySchema } },
    handler: async (_input, _req, res) => {
      if (!(await pingWithin(ctx, 1000))) throw new HttpError(503, 'dependency_unavailable', 'Redis is unreachable.');
      res.json({ status: 'ok' });
    },
  });
}
