import assert from 'node:assert/strict';
import type { Express } from 'express';
import supertest from 'supertest';
import { createLogger } from '@video-detect/shared';
import { createApp, createContext, type AppContext } from '../../services/api/src/index.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/** Asserts the contract's error shape: `{error: {code, message}}` with the given code and a message. */
export function assertError(body: unknown, code: string): void {
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  assert.equal(error?.code, code, `expected error code ${code}, got ${JSON.stringify(body)}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, 'error message');
}

export interface TestApi {
  env: TestEnv;
  ctx: AppContext;
  app: Express;
  http: () => supertest.Agent;
  /** Registers a user and returns a bearer header for them, and their id. */
  login(username: string, password?: string): Promise<{ authorization: string; refreshToken: string; userId: string }>;
  close(): Promise<void>;
}

/** The real API app on the real Redis (private prefix), driven without a port. */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const env = createTestEnv(overrides);
  const { ctx, jwtSecret } = await createContext(env.config, createLogger('api-test', env.config.logLevel));
  const { app } = createApp(ctx, jwtSecret);
  const http = () => supertest.agent(app);
  return {
    env,
    ctx,
    app,
    http,
    async login(username, password = 'a long password') {
      const registered = await http().post('/api/v1/auth/register').send({ username, password }).expect(201);
      const res = await http().post('/api/v1/auth/token').send({ username, password }).expect(200);
      const body = res.body as { access_token: string; refresh_token: string };
      return { authorization: `Bearer ${body.access_token}`, refreshToken: body.refresh_token, userId: (registered.body as { id: string }).id };
    },
    async close() {
      for (const queue of Object.values(ctx.jobs.queues)) await queue.obliterate({ force: true }).catch(() => undefined);
      await ctx.close();
      await env.cleanup();
    },
  };
}
