import type { RequestHandler } from 'express';
import type { QuotaRefusal, UserQuotas, UserUsage } from '@video-detect/shared';
import { HttpError } from '../http/http-error.js';

/** The most a multipart body adds to its file (boundaries, part headers, the option fields). */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

/** The answer to a refused reservation: 429 for the active videos, 413 for the stored bytes. */
export function quotaError(refusal: QuotaRefusal, quotas: UserQuotas, usage?: UserUsage): HttpError {
  const { limits } = quotas;
  if (refusal === 'too_many_active_videos') {
    return new HttpError(429, refusal, `You have ${usage?.activeVideos ?? limits.activeVideos} video(s) queued or processing, the most allowed at once (${limits.activeVideos}); upload again when one has finished.`);
  }
  const stored = usage ? `${usage.storedBytes} of ` : '';
  return new HttpError(413, refusal, `Your stored videos use ${stored}your ${limits.storedBytes} bytes; delete some to make room for this one.`);
}

/**
 * Refuses an upload before its body is read when the user is at a limit: no place for another
 * active video (429), or no room for the declared size (413). The exact check, with the received
 * size and counted atomically, comes after the upload (`UserQuotas.reserve`).
 */
export function quotaGate(quotas: UserQuotas): RequestHandler {
  return async (req, _res, next) => {
    const { activeVideos, storedBytes } = quotas.limits;
    if ((activeVideos === 0 && storedBytes === 0) || !req.user) return next();
    const usage = await quotas.usage(req.user.id);
    if (activeVideos > 0 && usage.activeVideos >= activeVideos) throw quotaError('too_many_active_videos', quotas, usage);
    const declared = Number(req.get('content-length') ?? 0) - MULTIPART_OVERHEAD_BYTES;
    if (storedBytes > 0 && (usage.storedBytes >= storedBytes || usage.storedBytes + declared > storedBytes)) throw quotaError('storage_quota_exceeded', quotas, usage);
    next();
  };
}
