import { createSecretKey } from 'node:crypto';
import type { RequestHandler } from 'express';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { unauthorized } from '../http/http-error.js';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, type AuthUser } from './token-service.js';

declare global {
  namespace Express {
    interface User {
      id: string;
      username: string;
    }
  }
}

interface AccessTokenClaims {
  sub?: string;
  username?: string;
  ver?: number;
}

/** The user's current token version, or null when the user no longer exists (`UserStore.tokenVersion`). */
export type TokenVersionLookup = (userId: string) => Promise<number | null>;

/**
 * Bearer-token guard: passport-jwt verifies the signature with the algorithm pinned (so `alg: none`
 * and algorithm swaps are refused), the issuer, the audience and the expiry; then the token's
 * version must be the user's current one, so a password change or "sign out everywhere" ends every
 * older token at once rather than when it expires. Failures become JSON 401s.
 */
export function createRequireAuth(secret: string, tokenVersion: TokenVersionLookup): RequestHandler {
  const authenticator = new passport.Passport();
  // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM public
  // key (and throws) on every request, which was 15% of the API's CPU under read load. passport-jwt
  // hands the key to jsonwebtoken as it is; its types only list string | Buffer.
  const key = createSecretKey(Buffer.from(secret)) as unknown as Buffer;
  authenticator.use(
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: key,
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        ignoreExpiration: false,
      },
      (claims: AccessTokenClaims, done: (err: unknown, user?: AuthUser | false) => void) => {
        const { sub, username, ver } = claims;
        if (!sub || !username || typeof ver !== 'number') return done(null, false);
        tokenVersion(sub).then(
          (current) => done(null, current === ver ? { id: sub, username } : false),
          (err: unknown) => done(err),
        );
      },
    ),
  );
  return (req, res, next) => {
    const callback = (err: unknown, user: AuthUser | false | undefined, info: unknown) => {
      if (err) return next(err);
      if (!user) {
        const expired = info instanceof Error && info.name === 'TokenExpiredError';
        return next(unauthorized(expired ? 'The access token has expired; refresh it.' : undefined));
      }
      req.user = user;
      next();
    };
    (authenticator.authenticate('jwt', { session: false }, callback) as RequestHandler)(req, res, next);
  };
}
