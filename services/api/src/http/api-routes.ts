import { isDeepStrictEqual } from 'node:util';
import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { describeIssues } from '@video-detect/shared';
import type { AuthUser } from '../auth/token-service.js';
import { HttpError, unauthorized } from './http-error.js';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH, idempotencyClaimOf, requestFingerprint, type Idempotency } from './idempotency.js';
import { z } from './zod.js';

export const errorBodySchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'invalid_request' }), message: z.string() }) })
  .openapi('Error');

type AnyObject = z.ZodObject<z.ZodRawShape>;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 422 | 429 | 503 | 507;

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
  /** Removes a received file the route does not keep (an idempotent replay answers the first upload's response). */
  discard: (file: Express.Multer.File) => Promise<void>;
}

/** What a handler returns: the body its response schema declares, and headers. */
export type Reply<S> = S extends z.ZodType ? { body: z.input<S>; headers?: Record<string, string> } : { headers?: Record<string, string> } | void;

export interface RouteInput<P, Q, B, F, A extends boolean, H = undefined> {
  params: Out<P>;
  query: Out<Q>;
  /** The declared request headers, validated. */
  headers: Out<H>;
  body: Out<B>;
  /** The multipart body: its fields parsed, its file as stored by the middleware. */
  upload: F extends AnyObject ? { fields: z.output<F>; file: Express.Multer.File } : undefined;
  /** The caller, for routes with `auth: true`. */
  user: A extends true ? AuthUser : undefined;
}

/** What every route declares about its request: path, auth, parameters, headers, and its documentation. */
interface RequestSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, A extends boolean, H extends AnyObject | undefined> {
  /** Express-style path (`/api/v1/videos/:id`); the OpenAPI path is derived from it. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Requires a bearer access token: adds the guard, the security entry, the 401 response and `user` to the input. */
  auth: A;
  params?: P;
  query?: Q;
  /** Request headers, keyed by their canonical names (`Last-Event-ID`). */
  headers?: H;
  /** Errors this route answers besides the ones every route may (400 for input, 401 with auth, 429, 503), by status. */
  errors?: Partial<Record<ErrorStatus, string>>;
}

export interface RouteSpec<
  P extends AnyObject | undefined,
  Q extends AnyObject | undefined,
  B extends z.ZodType | undefined,
  F extends AnyObject | undefined,
  S extends z.ZodType | undefined,
  A extends boolean,
  H extends AnyObject | undefined = undefined,
> extends RequestSpec<P, Q, A, H> {
  method: 'get' | 'post' | 'delete';
  /** JSON body. */
  body?: B;
  multipart?: F extends AnyObject ? MultipartSpec<F> : undefined;
  /**
   * Accepts an Idempotency-Key header (routes with auth): the same key and request again answer the
   * first response, another request 422, one still running 409 (`idempotency.ts`).
   */
  idempotent?: A extends true ? boolean : false;
  /** Runs after auth and before validation (rate limits, multer). */
  middleware?: RequestHandler[];
  /** Runs on any error of this route before the app's error handler (clean-up). */
  onError?: ErrorRequestHandler;
  response: SuccessSpec<S>;
  handler: (input: RouteInput<P, Q, B, F, A, H>) => Promise<Reply<S>>;
}

/**
 * A GET that answers a file or a stream other than JSON (an export, a video, a JPEG): validated and
 * documented like the others, its handler writes the response. `media: true` authenticates with the
 * media guard instead of the bearer one (what a `<video>` or `<img>` can send: see `requireMediaAuth`).
 */
export interface DownloadSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, H extends AnyObject | undefined> extends RequestSpec<P, Q, true, H> {
  media?: boolean;
  response: { description: string; contentTypes: string[]; headers?: Record<string, string>; /** Answers Range requests (206 Partial Content). */ ranges?: boolean };
  handler: (input: RouteInput<P, Q, undefined, undefined, true, H>, http: { req: Request; res: Response }) => Promise<void>;
}

/** A GET that answers a stream of Server-Sent Events; the handler writes it and returns when it ends. */
export interface EventStreamSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, A extends boolean, H extends AnyObject | undefined>
  extends RequestSpec<P, Q, A, H> {
  response: { description: string };
  handler: (input: RouteInput<P, Q, undefined, undefined, A, H>, http: { req: Request; res: Response }) => Promise<void>;
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

  /**
   * @param checkResponses validate every response body against its schema (development and tests).
   * @param idempotency keeps the responses of requests sent with an Idempotency-Key.
   * @param requireMediaAuth the guard of media downloads (`DownloadSpec.media`); the bearer guard when not given.
   */
  constructor(
    private readonly requireAuth: RequestHandler,
    private readonly checkResponses: boolean,
    private readonly idempotency: Idempotency,
    private readonly requireMediaAuth: RequestHandler = requireAuth,
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
    H extends AnyObject | undefined = undefined,
  >(spec: RouteSpec<P, Q, B, F, S, A, H>): void {
    const where = `${spec.method.toUpperCase()} ${spec.path}`;
    const handlers: RequestHandler[] = [];
    if (spec.auth) handlers.push(this.requireAuth);
    if (spec.idempotent) handlers.push(this.idempotency.claim);
    handlers.push(...(spec.middleware ?? []));
    handlers.push(async (req, res) => {
      const input = {
        ...this.parseRequest(spec, req),
        body: spec.body ? parseOr400(spec.body, req.body, 'request body') : undefined,
        upload: spec.multipart ? readUpload(spec.multipart, req.file, req.body) : undefined,
      } as RouteInput<P, Q, B, F, A, H>;
      const claim = idempotencyClaimOf(res);
      const fingerprint = claim ? await requestFingerprint(req) : '';
      if (claim?.stored) {
        if (claim.stored.fingerprint !== fingerprint) {
          throw new HttpError(422, 'idempotency_key_reused', `This ${IDEMPOTENCY_HEADER} was used for a different request (method, path or body); send a new key with a new request.`);
        }
        if (spec.multipart && req.file) await spec.multipart.discard(req.file);
        res.status(claim.stored.status).set({ ...claim.stored.headers, 'Idempotent-Replayed': 'true' });
        if (spec.response.schema) res.json(claim.stored.body);
        else res.end();
        return;
      }
      const reply = (await spec.handler(input)) as { body?: unknown; headers?: Record<string, string> } | undefined;
      const { status, schema } = spec.response;
      if (schema && this.checkResponses) checkResponseBody(schema, reply?.body, where);
      if (claim) await this.idempotency.complete(claim, { fingerprint, status, body: reply?.body ?? null, headers: reply?.headers ?? {} });
      res.status(status);
      for (const [name, value] of Object.entries(reply?.headers ?? {})) res.setHeader(name, value);
      if (schema) res.json(reply?.body);
      else res.end();
    });
    if (spec.onError) this.router[spec.method](spec.path, ...handlers, spec.onError);
    else this.router[spec.method](spec.path, ...handlers);
    const responses = successResponse(spec.response.status, spec.response.description, spec.response.headers, spec.response.schema ? { 'application/json': { schema: spec.response.schema } } : undefined);
    const body = spec.body
      ? { content: { 'application/json': { schema: spec.body } }, required: true }
      : spec.multipart
        ? { content: { 'multipart/form-data': { schema: multipartBodySchema(spec.multipart) } }, required: true }
        : undefined;
    const errors: Partial<Record<ErrorStatus, string>> = { ...spec.errors };
    if (spec.body || spec.multipart) errors[400] ??= 'Invalid parameters.';
    if (spec.idempotent) {
      const inFlight = `A request with this ${IDEMPOTENCY_HEADER} is still running.`;
      errors[409] = errors[409] ? `${errors[409]} Or: ${inFlight[0]!.toLowerCase()}${inFlight.slice(1)}` : inFlight;
      errors[422] = `This ${IDEMPOTENCY_HEADER} was used for a different request.`;
    }
    const idempotencyHeader = spec.idempotent ? idempotencyHeaderSchema : undefined;
    this.registry.registerPath(this.toOpenApi({ ...spec, errors }, spec.method, responses, body, idempotencyHeader));
  }

  /** A Server-Sent Events route (`text/event-stream`): validated and documented like the others, its handler writes the stream. */
  addEventStream<
    P extends AnyObject | undefined = undefined,
    Q extends AnyObject | undefined = undefined,
    A extends boolean = false,
    H extends AnyObject | undefined = undefined,
  >(spec: EventStreamSpec<P, Q, A, H>): void {
    const handlers: RequestHandler[] = spec.auth ? [this.requireAuth] : [];
    handlers.push(async (req, res) => {
      const input = { ...this.parseRequest(spec, req), body: undefined, upload: undefined } as RouteInput<P, Q, undefined, undefined, A, H>;
      await spec.handler(input, { req, res });
    });
    this.router.get(spec.path, ...handlers);
    const stream = { 'text/event-stream': { schema: z.string().openapi({ description: 'Events: `id:`, `event:` (the type) and `data:` lines, `: heartbeat` comments.' }) } };
    this.registry.registerPath(this.toOpenApi(spec, 'get', successResponse(200, spec.response.description, undefined, stream)));
  }

  /** A download (file, export, image): the handler writes the body; errors before it starts answer the usual JSON. */
  addDownload<P extends AnyObject | undefined = undefined, Q extends AnyObject | undefined = undefined, H extends AnyObject | undefined = undefined>(
    spec: DownloadSpec<P, Q, H>,
  ): void {
    const guard = spec.media ? this.requireMediaAuth : this.requireAuth;
    this.router.get(spec.path, guard, async (req, res) => {
      const input = { ...this.parseRequest(spec, req), body: undefined, upload: undefined } as RouteInput<P, Q, undefined, undefined, true, H>;
      await spec.handler(input, { req, res });
    });
    const binary = z.string().openapi({ type: 'string', format: 'binary' });
    const content = Object.fromEntries(spec.response.contentTypes.map((type) => [type, { schema: binary }]));
    const responses = successResponse(200, spec.response.description, spec.response.headers, content);
    if (spec.response.ranges) Object.assign(responses, successResponse(206, 'The requested byte range (a `Range` header).', { 'Content-Range': 'The range sent, e.g. `bytes 0-1023/52340`.' }, content));
    const errors = spec.response.ranges ? { 416: 'The requested range is outside the file.', ...spec.errors } : spec.errors;
    this.registry.registerPath(this.toOpenApi({ ...spec, errors }, 'get', responses));
  }

  /** Path, query, headers and caller of a request, validated (400 naming the field) and typed. */
  private parseRequest<P extends AnyObject | undefined, Q extends AnyObject | undefined, A extends boolean, H extends AnyObject | undefined>(
    spec: RequestSpec<P, Q, A, H>,
    req: Request,
  ) {
    return {
      params: spec.params ? parseOr400(spec.params, req.params, 'path parameters') : undefined,
      query: spec.query ? parseOr400(spec.query, req.query, 'query parameters') : undefined,
      headers: spec.headers ? parseOr400(spec.headers, Object.fromEntries(Object.keys(spec.headers.shape).map((name) => [name, req.get(name)])), 'headers') : undefined,
      user: spec.auth ? (req.user ?? throwUnauthorized()) : undefined,
    };
  }

  private toOpenApi<P extends AnyObject | undefined, Q extends AnyObject | undefined, A extends boolean, H extends AnyObject | undefined>(
    spec: RequestSpec<P, Q, A, H>,
    method: RouteConfig['method'],
    responses: RouteConfig['responses'],
    body?: NonNullable<RouteConfig['request']>['body'],
    extraHeaders?: AnyObject,
  ): RouteConfig {
    const errors: Partial<Record<ErrorStatus, string>> = { ...spec.errors };
    const media = 'media' in spec && spec.media === true;
    if (spec.auth) errors[401] ??= media ? 'Missing, invalid or expired access token or signed URL.' : 'Missing, invalid or expired access token.';
    if (spec.params || spec.query || spec.headers || extraHeaders) errors[400] ??= 'Invalid parameters.';
    // Every /api request body goes through the JSON parser, whether or not the route reads one (app.ts).
    if (spec.path.startsWith('/api/')) {
      errors[400] ??= 'The request body is not valid JSON.';
      errors[413] ??= 'The request body is too large.';
    }
    errors[429] ??= 'Too many requests.';
    errors[503] ??= 'A dependency (Redis, or the object store with STORAGE=s3) is unreachable.';
    for (const [status, description] of Object.entries(errors)) responses[status] = { description, content: { 'application/json': { schema: errorBodySchema } } };
    const headers = spec.headers && extraHeaders ? spec.headers.extend(extraHeaders.shape) : (spec.headers ?? extraHeaders);
    // Media routes also take a signed URL (`require-media-auth.ts`): its query is documented with them.
    const query = media ? (spec.query ?? z.object({})).extend(signedUrlQuerySchema.shape) : spec.query;
    return {
      method,
      path: spec.path.replace(/:([A-Za-z_]+)/g, '{$1}'),
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags,
      ...(spec.auth ? { security: media ? [{ bearerAuth: [] }, {}] : [{ bearerAuth: [] }] } : {}),
      request: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(query ? { query } : {}),
        ...(headers ? { headers } : {}),
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

/** The query of a signed media URL, as documented on `media` routes (checked by the guard, not by the route). */
const signedUrlQuerySchema = z.object({
  expires: z.string().optional().openapi({ description: 'Signed URL: when it stops working (Unix seconds). Use the URL as given (`links.file`, POST …/media-urls); it replaces the Authorization header.' }),
  signature: z.string().optional().openapi({ description: 'Signed URL: HMAC of the user, the video, this resource and `expires`.' }),
});

/** The Idempotency-Key header as documented on idempotent routes (the claim middleware reads it before the body). */
const idempotencyHeaderSchema = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX_LENGTH)
    .regex(/^[\x20-\x7e]+$/)
    .optional()
    .openapi({
      description: `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters, e.g. a UUID. Repeating the request with the same key within IDEMPOTENCY_TTL_SECONDS (24 h by default) answers the first response (header \`Idempotent-Replayed: true\`) and stores nothing; the key with a different request answers 422; while the first is still running, 409. Keys are per user.`,
    }),
});

function successResponse(status: number, description: string, headers: Record<string, string> | undefined, content: Record<string, { schema: z.ZodType }> | undefined): RouteConfig['responses'] {
  return {
    [status]: {
      description,
      ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([name, text]) => [name, { description: text, schema: { type: 'string' } }])) } : {}),
      ...(content ? { content } : {}),
    },
  };
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
