import { isDeepStrictEqual } from 'node:util';
import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { describeIssues } from '@video-detect/shared';
import type { AuthUser } from '../auth/token-service.js';
import { HttpError, unauthorized } from './http-error.js';
import { z } from './zod.js';

export const errorBodySchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'invalid_request' }), message: z.string() }) })
  .openapi('Error');

type AnyObject = z.ZodObject<z.ZodRawShape>;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

/** The one success response of a route: its status, its body schema (none for 204) and the headers it sets. */
export interface SuccessSpec<S extends z.ZodType | undefined> {
  status: 200 | 201 | 202 | 204;
  description: string;
  schema: S;
  /** Header name to its description. */
  headers?: Record<string, string>;
}

/** multipart/form-data: one file in field `file`, received by the route's middleware (multer), and text fields validated by `fields`. */
export interface MultipartSpec<F extends AnyObject> {
  fields: F;
  file: { field: string; description: string };
  /** Component name of the body in the OpenAPI document. */
  component: string;
}

/** What a handler returns: the body its response schema declares, and headers. */
export type Reply<S> = S extends z.ZodType ? { body: z.input<S>; headers?: Record<string, string> } : { headers?: Record<string, string> } | void;

export interface RouteInput<P, Q, B, F, A extends boolean> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The multipart body: its fields parsed, its file as stored by the middleware. */
  upload: F extends AnyObject ? { fields: z.output<F>; file: Express.Multer.File } : undefined;
  /** The caller, for routes with `auth: true`. */
  user: A extends true ? AuthUser : undefined;
}

export interface RouteSpec<
  P extends AnyObject | undefined,
  Q extends AnyObject | undefined,
  B extends z.ZodType | undefined,
  F extends AnyObject | undefined,
  S extends z.ZodType | undefined,
  A extends boolean,
> {
  method: 'get' | 'post' | 'delete';
  /** Express-style path (`/api/v1/videos/:id`); the OpenAPI path is derived from it. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Requires a bearer access token: adds the guard, the security entry, the 401 response and `user` to the input. */
  auth: A;
  params?: P;
  query?: Q;
  /** JSON body. */
  body?: B;
  multipart?: F extends AnyObject ? MultipartSpec<F> : undefined;
  /** Runs after auth and before validation (rate limits, multer). */
  middleware?: RequestHandler[];
  /** Runs on any error of this route before the app's error handler (clean-up). */
  onError?: ErrorRequestHandler;
  response: SuccessSpec<S>;
  /** Errors this route answers besides the ones every route may (400 for input, 401 with auth, 429, 503), by status. */
  errors?: Partial<Record<ErrorStatus, string>>;
  handler: (input: RouteInput<P, Q, B, F, A>) => Promise<Reply<S>>;
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new HttpError(400, 'invalid_request', `Invalid ${where}: ${describeIssues(result.error)}`);
  return result.data;
}

/**
 * A body that does not match its declared response schema, or carries fields it does not declare:
 * the code and the contract have drifted apart. Checked outside production, so a test catches it.
 */
export function checkResponseBody(schema: z.ZodType, body: unknown, where: string): void {
  const result = schema.safeParse(body);
  if (!result.success) throw new Error(`${where}: the response body does not match its schema: ${describeIssues(result.error)}`);
  if (!isDeepStrictEqual(result.data, body)) throw new Error(`${where}: the response body has fields its schema does not declare`);
}

/**
 * One declaration per route gives the Express handler, its validated and typed input (the caller
 * and the multipart fields included), its typed response, and its OpenAPI entry, so the document,
 * the validation and the bodies cannot drift apart.
 */
export class ApiRoutes {
  readonly router = Router();
  readonly registry = new OpenAPIRegistry();

  /** @param checkResponses validate every response body against its schema (development and tests). */
  constructor(
    private readonly requireAuth: RequestHandler,
    private readonly checkResponses: boolean,
  ) {
    this.registry.registerComponent('securitySchemes', 'bearerAuth', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The access_token from POST /api/v1/auth/token (paste the raw token).',
    });
  }

  add<
    P extends AnyObject | undefined = undefined,
    Q extends AnyObject | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    F extends AnyObject | undefined = undefined,
    S extends z.ZodType | undefined = undefined,
    A extends boolean = false,
  >(spec: RouteSpec<P, Q, B, F, S, A>): void {
    const where = `${spec.method.toUpperCase()} ${spec.path}`;
    const handlers: RequestHandler[] = [];
    if (spec.auth) handlers.push(this.requireAuth);
    handlers.push(...(spec.middleware ?? []));
    handlers.push(async (req, res) => {
      const input = {
        params: spec.params ? parseOr400(spec.params, req.params, 'path parameters') : undefined,
        query: spec.query ? parseOr400(spec.query, req.query, 'query parameters') : undefined,
        body: spec.body ? parseOr400(spec.body, req.body, 'request body') : undefined,
        upload: spec.multipart ? readUpload(spec.multipart, req.file, req.body) : undefined,
        user: spec.auth ? (req.user ?? throwUnauthorized()) : undefined,
      } as RouteInput<P, Q, B, F, A>;
      const reply = (await spec.handler(input)) as { body?: unknown; headers?: Record<string, string> } | undefined;
      const { status, schema } = spec.response;
      if (schema && this.checkResponses) checkResponseBody(schema, reply?.body, where);
      res.status(status);
      for (const [name, value] of Object.entries(reply?.headers ?? {})) res.setHeader(name, value);
      if (schema) res.json(reply?.body);
      else res.end();
    });
    if (spec.onError) this.router[spec.method](spec.path, ...handlers, spec.onError);
    else this.router[spec.method](spec.path, ...handlers);
    this.registry.registerPath(this.toOpenApi(spec));
  }

  private toOpenApi<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined, F extends AnyObject | undefined, S extends z.ZodType | undefined, A extends boolean>(
    spec: RouteSpec<P, Q, B, F, S, A>,
  ): RouteConfig {
    const { response, multipart } = spec;
    const errors: Partial<Record<ErrorStatus, string>> = { ...spec.errors };
    if (spec.auth) errors[401] ??= 'Missing, invalid or expired access token.';
    if (spec.params || spec.query || spec.body || multipart) errors[400] ??= 'Invalid parameters.';
    errors[429] ??= 'Too many requests.';
    errors[503] ??= 'A dependency (Redis) is unreachable.';
    const responses: RouteConfig['responses'] = {
      [response.status]: {
        description: response.description,
        ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
        ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
      },
    };
    for (const [status, description] of Object.entries(errors)) responses[status] = { description, content: { 'application/json': { schema: errorBodySchema } } };
    const body = spec.body
      ? { content: { 'application/json': { schema: spec.body } }, required: true }
      : multipart
        ? { content: { 'multipart/form-data': { schema: multipartBodySchema(multipart) } }, required: true }
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

function throwUnauthorized(): never {
  throw unauthorized();
}

function readUpload<F extends AnyObject>(spec: MultipartSpec<F>, file: Express.Multer.File | undefined, fields: unknown) {
  if (!file) throw new HttpError(400, 'missing_file', `Send the ${spec.file.field} as multipart/form-data in the field "${spec.file.field}".`);
  return { fields: parseOr400(spec.fields, fields, 'upload options'), file };
}

/** The multipart body as documented: the text fields plus the file. */
function multipartBodySchema<F extends AnyObject>(spec: MultipartSpec<F>): z.ZodType {
  const file = z.string().openapi({ type: 'string', format: 'binary', description: spec.file.description });
  return spec.fields.extend({ [spec.file.field]: file }).openapi(spec.component);
}
