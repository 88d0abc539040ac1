import type { RequestHandler } from 'express';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { unauthorized } from '../http/http-error.js';
import { JWT_ALGORITHM, JWT_ISSUER, type AuthUser } from './token-service.js';

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
}

/**
 * Bearer-token guard: passport-jwt verifies the signature with the algorithm pinned (so `alg: none`
 * and algorithm swaps are refused), the issuer and the expiry. Failures become JSON 401s.
 */
export function createRequireAuth(secret: string): RequestHandler {
  const authenticator = new passport.Passport();
  authenticator.use(
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: secret,
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        ignoreExpiration: false,
      },
      (claims: AccessTokenClaims, done: (err: unknown, user?: AuthUser | false) => void) => {
        if (!claims.sub || !claims.username) return done(null, false);
        done(null, { id: claims.sub, username: claims.username });
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
