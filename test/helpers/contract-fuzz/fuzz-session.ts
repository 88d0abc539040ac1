import { readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import { ContractChecker, type ReceivedResponse } from './contract-checker.js';
import { collectionOf, segmentBefore, type Caller, type FuzzState, type User } from './fuzz-state.js';
import type { OpenApiDocument } from './openapi-types.js';
import type { FuzzRequest } from './request-arbitrary.js';

interface Account {
  username: string;
  password: string;
  accessToken: string;
}

export interface FuzzSessionOptions {
  baseUrl: string;
  doc: OpenApiDocument;
  state: FuzzState;
  /** The server's JWT secret: for tokens that are right in every way but their expiry. */
  jwtSecret: string;
  /** A small real video (uploads that should be accepted) and a file of random bytes. */
  videoFile: string;
  junkFile: string;
}

/**
 * Sends generated requests to the running API as the seeded users (or as callers without a valid
 * token), learns ids and tokens from the answers, and says what a response breaks: the documented
 * contract (status, content type, schema, error shape, headers) and the rules that follow from
 * the request (no valid token → 401; another user's id → never a success; a refused query
 * parameter or body → 400; a valid token → never 401).
 */
export class FuzzSession {
  readonly checker: ContractChecker;
  /** Responses by operation and status. */
  readonly stats = new Map<string, Map<number, number>>();
  /** Milliseconds spent per operation. */
  readonly time = new Map<string, number>();
  private readonly accounts = new Map<User, Account>();
  private readonly video: Buffer;
  private readonly junk: Buffer;

  constructor(private readonly options: FuzzSessionOptions) {
    this.checker = new ContractChecker(options.doc);
    this.video = readFileSync(options.videoFile);
    this.junk = readFileSync(options.junkFile);
  }

  get state(): FuzzState {
    return this.options.state;
  }

  /** Registers (if needed) and signs the user in. */
  async signIn(user: User, username: string, password: string): Promise<void> {
    await this.post('/api/v1/auth/register', { username, password });
    const res = await this.post('/api/v1/auth/token', { username, password });
    if (res.status !== 200) throw new Error(`sign-in of ${username} answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.accounts.set(user, { username, password, accessToken: (res.body as { access_token: string }).access_token });
    this.state.replaceValues(
      'username',
      [...this.accounts.values()].map((a) => a.username),
    );
    this.state.replaceValues(
      'password',
      [...this.accounts.values()].map((a) => a.password),
    );
    this.state.replaceValues('current_password', this.state.known('password') as string[]);
  }

  private async post(path: string, body: unknown): Promise<ReceivedResponse> {
    return this.receive(await fetch(new URL(path, this.options.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  }

  private authorization(caller: Caller, subject: string): string | undefined {
    const now = Math.floor(Date.now() / 1000);
    const claims = { username: 'fuzz', ver: 0 };
    const signOptions = { algorithm: 'HS256', subject, issuer: 'video-detect', audience: 'video-detect-api' } as const;
    switch (caller) {
      case 'owner':
      case 'other':
        return `Bearer ${this.accounts.get(caller)?.accessToken ?? ''}`;
      case 'none':
        return undefined;
      case 'garbage':
        return 'Bearer not.a.jwt';
      case 'forged':
        return `Bearer ${jwt.sign(claims, 'a-secret-that-is-not-the-servers-0123456789', signOptions)}`;
      case 'expired':
        return `Bearer ${jwt.sign({ ...claims, iat: now - 7200, exp: now - 3600 }, this.options.jwtSecret, signOptions)}`;
    }
  }

  async send(req: FuzzRequest): Promise<ReceivedResponse> {
    const url = new URL(req.path, this.options.baseUrl);
    for (const [name, value] of Object.entries(req.query)) url.searchParams.set(name, value);
    const headers = new Headers(req.headers);
    const authorization = this.authorization(req.caller, '00000000-0000-4000-8000-000000000000');
    if (authorization) headers.set('authorization', authorization);
    let body: string | FormData | undefined;
    switch (req.body.kind) {
      case 'json':
        headers.set('content-type', 'application/json');
        body = JSON.stringify(req.body.value);
        break;
      case 'raw':
        headers.set('content-type', req.body.contentType);
        body = req.body.text;
        break;
      case 'multipart': {
        const form = new FormData();
        for (const [name, value] of Object.entries(req.body.fields)) form.set(name, value);
        if (req.body.file !== 'none') form.set(req.body.fileField, new Blob([req.body.file === 'video' ? this.video : this.junk]), req.body.file === 'video' ? 'clip.mp4' : 'junk.mp4');
        body = form;
        break;
      }
      case 'none':
        break;
    }
    const abort = new AbortController();
    const started = performance.now();
    const res = await fetch(url, { method: req.entry.method.toUpperCase(), headers, body, signal: abort.signal, redirect: 'manual' });
    const received = await this.receive(res, abort);
    this.time.set(req.entry.name, (this.time.get(req.entry.name) ?? 0) + performance.now() - started);
    const byStatus = this.stats.get(req.entry.name) ?? new Map<number, number>();
    byStatus.set(received.status, (byStatus.get(received.status) ?? 0) + 1);
    this.stats.set(req.entry.name, byStatus);
    await this.learn(req, received);
    if (process.env.FUZZ_DEBUG && req.entry.name.includes(process.env.FUZZ_DEBUG)) console.error('DEBUG', JSON.stringify(req.body).slice(0, 400), received.status, received.bodyText.slice(0, 300));
    return received;
  }

  /** Reads the response; an event stream is left unread (it stays open) and closed. */
  private async receive(res: Response, abort?: AbortController): Promise<ReceivedResponse> {
    const contentType = res.headers.get('content-type') ?? '';
    if (contentType.startsWith('text/event-stream')) {
      abort?.abort();
      return { status: res.status, contentType, headers: res.headers, body: undefined, bodyText: '' };
    }
    const bodyText = await res.text();
    let body: unknown = bodyText;
    if (contentType.includes('json')) {
      try {
        body = JSON.parse(bodyText) as unknown;
      } catch {
        body = bodyText;
      }
    }
    return { status: res.status, contentType, headers: res.headers, body, bodyText };
  }

  /** Keeps ids and tokens the answers reveal, and the seeded users signed in. */
  private async learn(req: FuzzRequest, res: ReceivedResponse): Promise<void> {
    const user = req.caller === 'owner' || req.caller === 'other' ? req.caller : null;
    const body = res.body as Record<string, unknown> | undefined;
    const ok = res.status >= 200 && res.status < 300;
    if (ok && typeof body === 'object' && body !== null) {
      const collection = collectionOf(req.entry.path);
      if (req.entry.method === 'post' && (typeof body.id === 'string' || typeof body.id === 'number')) {
        this.state.addId(collection, { value: String(body.id), owner: user, kept: false });
      }
      if (req.entry.method === 'get' && Array.isArray(body.items)) {
        for (const item of body.items as { id?: unknown }[]) {
          if (typeof item.id === 'string' || typeof item.id === 'number') this.state.addId(collection, { value: String(item.id), owner: user, kept: false });
        }
      }
      if (typeof body.refresh_token === 'string') this.state.addValue('refresh_token', body.refresh_token);
    }
    if (ok && req.entry.method === 'delete') {
      const last = req.entry.path.match(/\{([^}]+)\}$/)?.[1];
      if (last) this.state.removeId(segmentBefore(req.entry.path, last), decodeURIComponent(req.path.split('/').at(-1) ?? ''));
    }
    // A password change or "sign out everywhere" revokes the user's tokens: take the new pair, or sign in again.
    if (ok && user && req.entry.path.startsWith('/api/v1/auth/') && req.entry.operation.security) {
      const account = this.accounts.get(user)!;
      const sent = req.body.kind === 'json' ? (req.body.value as { new_password?: unknown }) : undefined;
      if (typeof sent?.new_password === 'string') account.password = sent.new_password;
      if (typeof body?.access_token === 'string') account.accessToken = body.access_token;
      else await this.signIn(user, account.username, account.password);
    }
  }

  /** What the response breaks, empty when nothing. */
  problems(req: FuzzRequest, res: ReceivedResponse): string[] {
    const problems = this.checker.problems(req.entry, res);
    const secured = Boolean(req.entry.operation.security?.length);
    const signedIn = req.caller === 'owner' || req.caller === 'other';
    const limited = res.status === 429;
    // The API reads JSON bodies before routing (objects and arrays only): one it cannot read is 400 for anyone.
    if (unreadable(req)) {
      if (res.status !== 400 || (res.body as { error?: { code?: string } }).error?.code !== 'invalid_json') problems.push(`an unreadable body got ${res.status}, not 400 invalid_json`);
      return problems;
    }
    if (secured && !signedIn && res.status !== 401 && !limited) problems.push(`a ${req.caller} token got ${res.status}, not 401`);
    if (secured && signedIn && res.status === 401) problems.push('a valid token got 401');
    const foreign = signedIn && req.pathOwners.some((owner) => owner !== null && owner !== req.caller);
    if (foreign && res.status < 300) problems.push(`${req.caller} reached another user's resource (${res.status})`);
    if (foreign && res.status === 403) problems.push("another user's resource answered 403, which tells it exists (expected 404)");
    const checked = signedIn || !secured;
    const idempotent = Object.keys(req.headers).some((name) => name.toLowerCase() === 'idempotency-key');
    if (checked && req.invalidQuery.length > 0 && !idempotent && res.status !== 400 && !limited) {
      problems.push(`query ${req.invalidQuery.join(', ')} is outside its schema, yet the answer is ${res.status}, not 400`);
    }
    const jsonSchema = req.entry.operation.requestBody?.content['application/json']?.schema;
    if (checked && jsonSchema && !idempotent && !limited) {
      const invalidBody = req.body.kind === 'json' && !this.checker.validator(jsonSchema)(req.body.value);
      if (invalidBody && res.status !== 400 && res.status !== 413) problems.push(`a body outside the schema got ${res.status}, not 400`);
    }
    return problems;
  }
}

/** A body the JSON parser refuses: not JSON, or JSON that is not an object or array. */
function unreadable(req: FuzzRequest): boolean {
  if (req.body.kind === 'json') return typeof req.body.value !== 'object' || req.body.value === null;
  if (req.body.kind !== 'raw') return false;
  try {
    const value: unknown = JSON.parse(req.body.text);
    return typeof value !== 'object' || value === null;
  } catch {
    return true;
  }
}
