import type { RequestHandler } from 'express';
import { videoPath, type VideoStore } from '@video-detect/shared';
import { HttpError, unauthorized } from '../http/http-error.js';
import { SIGNED_URL_PARAMS, type MediaUrls } from '../media/media-urls.js';

/**
 * The one guard of media downloads (the stored upload, render files, frame snapshots: the routes
 * a `<video>` or `<img>` loads, which cannot send an Authorization header): a bearer token as
 * everywhere else, or, without an Authorization header, a signed URL of this exact resource
 * (`MediaUrls`). The caller becomes the video's owner, so the route's own ownership check holds as
 * for a token. The resource is the path after `/api/v1/videos/{id}/` (e.g. `file`, `frames/12.jpg`).
 */
export function createRequireMediaAuth(requireAuth: RequestHandler, urls: MediaUrls, videos: VideoStore): RequestHandler {
  return (req, res, next) => {
    const signature = req.query[SIGNED_URL_PARAMS.signature];
    if (req.get('authorization') !== undefined || signature === undefined) return requireAuth(req, res, next);
    const videoId = typeof req.params.id === 'string' ? req.params.id : '';
    const prefix = `${videoPath(videoId)}/`;
    if (!videoId || !req.path.startsWith(prefix)) return next(unauthorized());
    const resource = req.path.slice(prefix.length);
    videos
      .get(videoId)
      .then((record) => {
        // An unknown video answers like a bad signature: a link says nothing about what exists.
        const outcome = record ? urls.check(record.owner_id, videoId, resource, req.query[SIGNED_URL_PARAMS.expires], signature) : 'invalid';
        if (outcome === 'expired') return next(new HttpError(401, 'media_url_expired', 'This media link has expired; ask for a new one (GET the video again).'));
        if (outcome === 'invalid' || !record) return next(new HttpError(401, 'invalid_media_signature', 'This media link is not valid for this resource.'));
        req.user = { id: record.owner_id, username: '' };
        next();
      })
      .catch(next);
  };
}
