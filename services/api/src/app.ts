import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { AdminSessions } from './admin/admin-session.js';
import { mountQueueDashboard, registerAdminRoutes } from './admin/admin.routes.js';
import { registerAuthRoutes } from './auth/auth.routes.js';
import { createRequireAuth } from './auth/require-auth.js';
import { createRequireMediaAuth } from './auth/require-media-auth.js';
import type { AppContext } from './context.js';
import { registerExportRoutes } from './exports/export.routes.js';
import { registerFrameRoutes } from './frames/frame.routes.js';
import { registerRenderRoutes } from './renders/render.routes.js';
import { registerEventRoutes } from './events/event.routes.js';
import type { EventStreams } from './events/event-streams.js';
import { registerHealthRoutes } from './health/health.routes.js';
import { ApiRoutes } from './http/api-routes.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { Idempotency } from './http/idempotency.js';
import { createRateLimits } from './http/rate-limits.js';
import { documentMetricsRoute, httpMetricsMiddleware, registerMetricsRoute } from './metrics/api-metrics.js';
import { docsSecurityHeaders, securityHeaders } from './http/security-headers.js';
import { registerAnalysisRoutes } from './analyses/analysis.routes.js';
import { registerMediaRoutes } from './media/media.routes.js';
import { registerTrackRoutes } from './tracks/track.routes.js';
import { registerVideoRoutes } from './videos/video.routes.js';
import { registerWebhookRoutes } from './webhooks/webhook.routes.js';
import { serveViewer, viewerDir } from './viewer/viewer-static.js';

export const API_VERSION = '1.0.0';

function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * The Express app; only `main.ts` listens, so tests drive it without a port. `streams`: the open
 * event streams, ended on shutdown (they would keep the server from closing).
 */
export function createApp(ctx: AppContext, jwtSecret: string): { app: Express; openApi: ReturnType<ApiRoutes['document']>; streams: EventStreams } {
  const app = express();
  app.disable('x-powered-by');
  // First, so every response carries them: 404s, errors, Swagger UI, event streams.
  app.use(securityHeaders(ctx.config.api.publicBaseUrl));
  app.set('trust proxy', trustProxySetting(ctx.config.api.trustProxy));
  app.use(pinoHttp({ logger: ctx.logger, autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' } }));
  if (ctx.config.metrics.enabled) {
    app.use(httpMetricsMiddleware(ctx.metrics));
    registerMetricsRoute(app, ctx);
  }

  const limits = createRateLimits(ctx);
  const idempotency = new Idempotency(ctx.redis, ctx.keys, ctx.config.idempotency.ttlSeconds);
  const requireAuth = createRequireAuth(jwtSecret, (userId) => ctx.users.tokenVersion(userId));
  const routes = new ApiRoutes(requireAuth, ctx.config.env !== 'production', idempotency, createRequireMediaAuth(requireAuth, ctx.mediaUrls, ctx.videos));
  registerHealthRoutes(routes, ctx);
  registerAuthRoutes(routes, ctx, { perAddress: limits.auth, perAccount: limits.loginSlowDown });
  registerVideoRoutes(routes, ctx, limits.upload);
  registerTrackRoutes(routes, ctx);
  registerExportRoutes(routes, ctx);
  registerFrameRoutes(routes, ctx);
  registerRenderRoutes(routes, ctx);
  registerAnalysisRoutes(routes, ctx);
  registerMediaRoutes(routes, ctx);
  const streams = registerEventRoutes(routes, ctx);
  registerWebhookRoutes(routes, ctx);
  const adminSessions = new AdminSessions(ctx, jwtSecret);
  registerAdminRoutes(routes, adminSessions);
  if (ctx.config.metrics.enabled) documentMetricsRoute(routes.registry);
  const openApi = routes.document(API_VERSION);

  // 64 KB: an analysis at its limits (16 lines, 16 zones of 64 points) fits, so its own checks answer (400 naming the field).
  app.use('/api', limits.general, express.json({ limit: '64kb' }));
  app.use(routes.router);
  mountQueueDashboard(app, ctx, adminSessions);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use('/docs', docsSecurityHeaders(ctx.config.api.publicBaseUrl), swaggerUi.serve, swaggerUi.setup(openApi, { swaggerOptions: { persistAuthorization: true } }));
  serveViewer(app, viewerDir(ctx.config.viewer.dir));
  app.use(notFoundHandler);
  app.use(errorHandler(ctx.logger, ctx.redis));
  return { app, openApi, streams };
}
