import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Video = Schemas['Video'];
export type Frame = Schemas['Frame'];
export type Track = Schemas['Track'];
export type Analysis = Schemas['Analysis'];
export type TokenPair = Schemas['TokenPair'];

/** An answer the person should read: the API's own message (its error shape), or what went wrong on the way. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const NETWORK_MESSAGE = 'Cannot reach the server. Check your connection or that the service is running, then try again.';

/** The API's error body `{error: {code, message}}` as an ApiError; anything else (a proxy's HTML page) by its status. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') return new ApiError(status, error.code, error.message);
  if (status === 502 || status === 503 || status === 504) return new ApiError(status, 'unavailable', 'The service is unavailable right now; try again shortly.');
  return new ApiError(status, 'unexpected', `The server answered ${status} unexpectedly; try again.`);
}

/** Any thrown value as a sentence for the page. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return NETWORK_MESSAGE;
  return err instanceof Error ? err.message : String(err);
}

/** fetch, with "the server is unreachable" turned into a readable ApiError. */
export async function reach(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
}

/** The typed client without credentials (sign-in, registration, refresh). */
export const publicApi = createClient<paths>({ baseUrl: '', fetch: reach });

/** The data of an openapi-fetch result, or its error thrown as an ApiError. */
export function dataOf<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    if (result.response.ok && result.error === undefined) return undefined as T;
    throw errorFromBody(result.response.status, result.error);
  }
  return result.data;
}
