import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Express, RequestHandler } from 'express';
import type { ServiceMetrics } from '@video-detect/shared';
import type { AppContext } from '../context.js';
import { z } from '../http/zod.js';

/**
 * The route template a request matched (`/api/v1/videos/:id`), never its raw path: ids in labels
 * would make a new series per video. Requests no route matched share one label.
 */
function routeOf(req: Parameters<RequestHandler>[0]): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  if (req.baseUrl) return req.baseUrl;
  return 'unmatched';
}

/** HTTP request duration by method, route template and status, recorded when the response ends. */
export function httpMetricsMiddleware(metrics: ServiceMetrics): RequestHandler {
  const histogram = metrics.httpHistogram();
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      histogram.observe({ method: req.method, route: routeOf(req), status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  };
}

/**
 * `GET /metrics`: the API's metrics plus every queue's jobs by state (read from Redis on each
 * scrape, here because the API is always running, so an autoscaler can scale workers to zero).
 */
export function registerMetricsRoute(app: Express, ctx: AppContext): void {
  ctx.metrics.queueGauge(Object.values(ctx.jobs.queues));
  app.get('/metrics', (_req, res, next) => {
    ctx.metrics.registry.metrics().then((text) => {
      res.type(ctx.metrics.registry.contentType).send(text);
    }, next);
  });
}

/** The OpenAPI entry of `GET /metrics` (a text route, outside ApiRoutes' JSON declarations). */
export function documentMetricsRoute(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: HTTP, queues, videos, Node.js (no auth: restrict it at the ingress)',
    tags: ['service'],
    responses: {
      200: { description: 'Prometheus text exposition format (docs/operations.md lists the series).', content: { 'text/plain': { schema: z.string() } } },
    },
  });
}
