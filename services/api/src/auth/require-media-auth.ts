import type { RequestHandler } from 'express';

/**
 * The one guard of media downloads (the stored upload, render files, frame snapshots): the routes
 * a `<video>` or `<img>` loads, which cannot send an Authorization header. Today it is the bearer
 * guard; a signed, short-lived URL is accepted here (and only here) when the web viewer adds them.
 * It must leave the caller in `req.user`, as the bearer guard does.
 */
export function createRequireMediaAuth(requireAuth: RequestHandler): RequestHandler {
  return (req, res, next) => requireAuth(req, res, next);
}
