import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import type { RedisKeys } from '@video-detect/shared';

export const JWT_ALGORITHM = 'HS256';
export const JWT_ISSUER = 'video-detect';
/** Access tokens are for this API only: a token minted for another audience with the same secret is refused. */
export const JWT_AUDIENCE = 'video-detect-api';

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

/** The user a token is issued to, with their token version (`UserStore.tokenVersion`): bumping it revokes every token issued before. */
export interface TokenSubject extends AuthUser {
  token_version: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Short-lived JWT access tokens and opaque refresh tokens. Refresh tokens are stored only as
 * hashes and are single-use: GETDEL makes "use" and "revoke" one atomic step (rotation).
 */
export class TokenService {
  /** A KeyObject: given a string, jsonwebtoken tries (and fails) to parse it as a PEM key on every call. */
  private readonly key: KeyObject;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    secret: string,
    private readonly accessTtlSeconds: number,
    private readonly refreshTtlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret));
  }

  async issue(user: TokenSubject): Promise<TokenPair> {
    const accessToken = jwt.sign({ username: user.username, ver: user.token_version }, this.key, {
      algorithm: JWT_ALGORITHM,
      subject: user.id,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.accessTtlSeconds,
    });
    const refreshToken = randomBytes(32).toString('base64url');
    await this.redis.set(this.keys.refreshToken(hashToken(refreshToken)), `${user.id}:${user.token_version}`, 'EX', this.refreshTtlSeconds);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.accessTtlSeconds, refresh_token: refreshToken };
  }

  /**
   * The user id and token version the refresh token was issued with, consuming it; null when
   * unknown, expired or already used. The caller compares the version with the user's current one.
   */
  async consumeRefreshToken(refreshToken: string): Promise<{ userId: string; tokenVersion: number } | null> {
    const stored = await this.redis.getdel(this.keys.refreshToken(hashToken(refreshToken)));
    if (!stored) return null;
    // Tokens stored before versions existed hold the bare user id: version 0.
    const [userId = '', version = '0'] = stored.split(':');
    return { userId, tokenVersion: Number(version) };
  }
}
