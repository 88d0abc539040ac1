import { createHmac, timingSafeEqual } from 'node:crypto';
import { videoPath } from '@video-detect/shared';

/** Query parameters of a signed media URL. */
export const SIGNED_URL_PARAMS = { expires: 'expires', signature: 'signature' } as const;

/**
 * The media a signed URL can open, relative to its video (`/api/v1/videos/{id}/<resource>`): the
 * stored upload, a render's file, a frame snapshot. Anything else is never signed.
 */
export const mediaResourcePattern = /^(?:file|renders\/[0-9a-f-]{36}\/file|frames\/\d{1,9}\.jpg)$/;

export interface SignedUrl {
  url: string;
  /** When it stops working (ISO-8601). */
  expires_at: string;
}

export type SignatureCheck = 'valid' | 'expired' | 'invalid';

/**
 * Short-lived signed URLs for `<video>` and `<img>`, which cannot send an Authorization header: an
 * HMAC-SHA256 over the user, the video, the resource and the expiry, so a URL opens exactly one
 * thing of one user's video until it expires (and leaks no token that opens anything else). The
 * key is MEDIA_URL_SECRET, or one derived from the JWT secret (never the JWT key itself, so a media
 * signature can never pass for a token signature or the reverse).
 */
export class MediaUrls {
  private readonly key: Buffer;

  constructor(
    secret: string | undefined,
    jwtSecret: string,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = secret ? Buffer.from(secret) : createHmac('sha256', jwtSecret).update('video-detect media URL key v1').digest();
  }

  /** `resource` must match `mediaResourcePattern`; `base` prefixes the path (PUBLIC_BASE_URL, or '' for a relative URL). */
  sign(userId: string, videoId: string, resource: string, base = ''): SignedUrl {
    if (!mediaResourcePattern.test(resource)) throw new Error(`not a signable media resource: ${resource}`);
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const query = new URLSearchParams({ [SIGNED_URL_PARAMS.expires]: String(expires), [SIGNED_URL_PARAMS.signature]: this.mac(userId, videoId, resource, expires) });
    return { url: `${base}${videoPath(videoId)}/${resource}?${query.toString()}`, expires_at: new Date(expires * 1000).toISOString() };
  }

  /** Checks a URL's `expires` and `signature` (as received, unparsed) for this user's video and resource, comparing in constant time. */
  check(userId: string, videoId: string, resource: string, expires: unknown, signature: unknown): SignatureCheck {
    if (typeof expires !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(expires) || !mediaResourcePattern.test(resource)) return 'invalid';
    const expected = Buffer.from(this.mac(userId, videoId, resource, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(expires) * 1000 <= this.now() ? 'expired' : 'valid';
  }

  private mac(userId: string, videoId: string, resource: string, expires: number): string {
    return createHmac('sha256', this.key).update(`v1\n${userId}\n${videoId}\n${resource}\n${expires}`).digest('base64url');
  }
}
