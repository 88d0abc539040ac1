import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { HttpError } from './http-error.js';

extendZodWithOpenApi(z);

export const errorBodySchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'invalid_request' }), message: z.string() }) })
  .openapi('Error');

type AnyObject = z.ZodObject<z.ZodRawShape>;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, { description: string; schema: { type: 'string' } }>;
}

export interface RouteSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined> {
  method: 'get' | 'post' | 'delete';
  /** Express-style path (`/api/v1/videos/:id`); the OpenAPI path is derived from it. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Requires a bearer access token (adds the middleware, the security entry and the 401 response). */
  auth?: boolean;
  params?: P;
  query?: Q;
  /** JSON body, validated before the handler runs. */
  body?: B;
  /** multipart/form-data body: documented here, parsed by `middleware` (multer) and validated by the handler. */
  multipart?: z.ZodType;
  /** Runs after auth and before validation (rate limits, multer). */
  middleware?: RequestHandler[];
  /** Runs on any error of this route before the app's error handler (clean-up). */
  onError?: ErrorRequestHandler;
  responses: Record<number, ResponseSpec>;
  handler: (input: { params: Out<P>; query: Out<Q>; body: Out<B> }, req: Request, res: Response) => Promise<void> | void;
}

/** "sample_fps: Number must be greater than 0; classes: ..." from a zod error. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new HttpError(400, 'invalid_request', `Invalid ${where}: ${describeIssues(result.error)}`);
  return result.data;
}

/**
 * One declaration per route gives the Express handler, its validated and typed input, and its
 * OpenAPI entry, so the document and the validation cannot drift apart.
 */
export class ApiRoutes {
  readonly router = Router();
  readonly registry = new OpenAPIRegistry();

  constructor(private readonly requireAuth: RequestHandler) {
    this.registry.registerComponent('securitySchemes', 'bearerAuth', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The access_token from POST /api/v1/auth/token (paste the raw token).',
    });
  }

  add<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined>(spec: RouteSpec<P, Q, B>): void {
    const handlers: RequestHandler[] = [];
    if (spec.auth) handlers.push(this.requireAuth);
    handlers.push(...(spec.middleware ?? []));
    handlers.push(async (req, res) => {
      const input = {
        params: (spec.params ? parseOr400(spec.params, req.params, 'path parameters') : undefined) as Out<P>,
        query: (spec.query ? parseOr400(spec.query, req.query, 'query parameters') : undefined) as Out<Q>,
        body: (spec.body ? parseOr400(spec.body, req.body, 'request body') : undefined) as Out<B>,
      };
      await spec.handler(input, req, res);
    });
    if (spec.onError) this.router[spec.method](spec.path, ...handlers, spec.onError);
    else this.router[spec.method](spec.path, ...handlers);
    this.registry.registerPath(this.toOpenApi(spec));
  }

  private toOpenApi<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined>(
    spec: RouteSpec<P, Q, B>,
  ): RouteConfig {
    const responses: RouteConfig['responses'] = {};
    const all: Record<number, ResponseSpec> = { ...spec.responses };
    if (spec.auth) all[401] ??= { description: 'Missing, invalid or expired access token.', schema: errorBodySchema };
    if (spec.params || spec.query || spec.body || spec.multipart) all[400] ??= { description: 'Invalid parameters.', schema: errorBodySchema };
    all[429] ??= { description: 'Too many requests.', schema: errorBodySchema };
    all[503] ??= { description: 'A dependency (Redis) is unreachable.', schema: errorBodySchema };
    for (const [status, r] of Object.entries(all)) {
      responses[status] = {
        description: r.description,
        ...(r.headers ? { headers: r.headers } : {}),
        ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
      };
    }
    const body = spec.body
      ? { content: { 'application/json': { schema: spec.body } }, required: true }
      : spec.multipart
        ? { content: { 'multipart/form-data': { schema: spec.multipart } }, required: true }
        : undefined;
    return {
      method: spec.method,
      path: spec.path.replace(/:([A-Za-z_]+)/g, '{$1}'),
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags,
      ...(spec.auth ? { security: [{ bearerAuth: [] }] } : {}),
      request: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.query ? { query: spec.query } : {}),
        ...(body ? { body } : {}),
      },
      responses,
    };
  }

  document(version: string) {
    return new OpenApiGeneratorV3(this.registry.definitions).generateDocument({
      openapi: '3.0.3',
      info: {
        title: 'Video object detection API',
        version,
        description:
          'Upload a video, then read back per-frame object detections. Authenticate with POST /api/v1/auth/token and use the access token as a bearer token.',
      },
      servers: [{ url: '/' }],
    });
  }
}
