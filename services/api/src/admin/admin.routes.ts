import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, RequestHandler } from 'express';
import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { z } from '../http/zod.js';
import { ADMIN_PATH, AdminSessions } from './admin-session.js';

const QUEUES_PATH = `${ADMIN_PATH}/queues`;

/** POST/DELETE /api/v1/admin/session: the cookie the admin pages run on. */
export function registerAdminRoutes(routes: ApiRoutes, sessions: AdminSessions): void {
  routes.add({
    method: 'post',
    path: '/api/v1/admin/session',
    summary: 'Start an admin session for the queue dashboard (sets a cookie)',
    description: `For admins (a role on the user; ADMIN_USERNAMES names the first). Sets a short-lived HttpOnly cookie for ${ADMIN_PATH} (ADMIN_SESSION_TTL_SECONDS), so a browser can open ${QUEUES_PATH}: send this from Swagger UI's "Try it out", then open the dashboard in the same browser.`,
    tags: ['admin'],
    auth: true,
    response: {
      status: 200,
      description: 'Session started; the cookie is set.',
      schema: z.object({ dashboard: z.string(), expires_in: z.number().int() }).openapi('AdminSession'),
      headers: { 'Set-Cookie': `The session cookie (HttpOnly, SameSite=Strict, Path=${ADMIN_PATH}).` },
    },
    errors: { 403: 'Not an admin.' },
    handler: async ({ user }) => {
      const { cookie, expiresIn } = await sessions.mint(user.id);
      return { body: { dashboard: QUEUES_PATH, expires_in: expiresIn }, headers: { 'Set-Cookie': cookie } };
    },
  });
  routes.add({
    method: 'delete',
    path: '/api/v1/admin/session',
    summary: 'End the admin session (clears the cookie)',
    tags: ['admin'],
    auth: false,
    response: { status: 204, description: 'Cleared.', schema: undefined, headers: { 'Set-Cookie': 'An expired session cookie.' } },
    handler: () => Promise.resolve({ headers: { 'Set-Cookie': sessions.clear() } }),
  });
}

/**
 * bull-board at /admin/queues, behind the admin session. Read-only: a job removed or retried
 * behind the API's back would leave its video's record out of step (cancel, retry and delete go
 * through the API, which keeps both together).
 */
export function mountQueueDashboard(app: Express, ctx: AppContext, sessions: AdminSessions): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: Object.values(ctx.jobs.queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'video-detect queues' } },
  });
  app.use(QUEUES_PATH, sessions.guard, serverAdapter.getRouter() as RequestHandler);
}
