import createClient from 'openapi-fetch';
import { session, SESSION_EXPIRED } from '../auth/session';
import { ApiError, reach } from './http';
import type { paths } from './schema';

function withToken(request: Request): Request {
  const token = session.accessToken;
  if (!token) throw new ApiError(401, 'signed_out', SESSION_EXPIRED);
  const headers = new Headers(request.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}

/**
 * fetch with the access token; a 401 refreshes the tokens once and repeats the request (the
 * background refresh makes that rare: a token revoked, a computer that slept).
 */
export async function authorizedFetch(request: Request): Promise<Response> {
  const again = request.clone();
  const response = await reach(withToken(request));
  if (response.status !== 401) return response;
  if (!(await session.refresh())) throw new ApiError(401, 'session_expired', SESSION_EXPIRED);
  return reach(withToken(again));
}

/** The typed client (generated from openapi.json) for everything behind a token. */
export const api = createClient<paths>({ baseUrl: '', fetch: authorizedFetch });
