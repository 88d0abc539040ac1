import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import type { RedisKeys } from '@video-detect/shared';

export const JWT_ALGORITHM = 'HS256';
export const JWT_ISSUER = 'video-detect';

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface AuthUser {
  id: string;
  username: string;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Short-lived JWT access tokens and opaque refresh tokens. Refresh tokens are stored only as
 * hashes and are single-use: GETDEL makes "use" and "revoke" one atomic step (rotation).
 */
export class TokenService {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly secret: string,
    private readonly accessTtlSeconds: number,
    private readonly refreshTtlSeconds: number,
  ) {}

  async issue(user: AuthUser): Promise<TokenPair> {
    const accessToken = jwt.sign({ username: user.username }, this.secret, {
      algorithm: JWT_ALGORITHM,
      subject: user.id,
      issuer: JWT_ISSUER,
      expiresIn: this.accessTtlSeconds,
    });
    const refreshToken = randomBytes(32).toString('base64url');
    await this.redis.set(this.keys.refreshToken(hashToken(refreshToken)), user.id, 'EX', this.refreshTtlSeconds);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.accessTtlSeconds, refresh_token: refreshToken };
  }

  /** The user id the refresh token belonged to, consuming it; null when unknown, expired or already used. */
  async consumeRefreshToken(refreshToken: string): Promise<string | null> {
    return this.redis.getdel(this.keys.refreshToken(hashToken(refreshToken)));
  }
}
