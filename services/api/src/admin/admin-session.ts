import { parse, serialize } from 'cookie';
import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import type { AppContext } from '../context.js';
import { JWT_ALGORITHM, JWT_ISSUER } from '../auth/token-service.js';
import type { User } from '../auth/user-store.js';
import { HttpError } from '../http/http-error.js';

/** The admin pages' cookie: sent by the browser only to /admin paths. */
export const ADMIN_COOKIE = 'vd_admin';
export const ADMIN_PATH = '/admin';
/** The session token's audience: it is not an API access token, and an access token is not a session. */
const ADMIN_AUDIENCE = 'video-detect-admin';

/** An admin: the role on the user, or a username listed in ADMIN_USERNAMES (the first admin, from config). */
export function isAdmin(user: User, adminUsernames: string[]): boolean {
  return user.role === 'admin' || adminUsernames.includes(user.username.toLowerCase());
}

/**
 * A browser cannot add a bearer header to a page load, so the dashboard runs on a cookie: an
 * admin (with the bearer token) asks for a session; the answer sets a short-lived, HttpOnly,
 * SameSite=Strict cookie for /admin holding a JWT of its own audience. Each request under /admin
 * verifies it and checks the user is still an admin.
 */
export class AdminSessions {
  constructor(
    private readonly ctx: AppContext,
    private readonly secret: string,
  ) {}

  /** The Set-Cookie header for a new session of `user` (an admin; else 403). */
  async mint(userId: string): Promise<{ cookie: string; expiresIn: number }> {
    const user = await this.ctx.users.findById(userId);
    if (!user || !isAdmin(user, this.ctx.config.auth.adminUsernames)) throw forbidden();
    // The config's admins keep the role when the list changes later: it is on the user from now on.
    if (user.role !== 'admin') await this.ctx.users.setRole(user.id, 'admin');
    const expiresIn = this.ctx.config.auth.adminSessionTtlSeconds;
    const token = jwt.sign({}, this.secret, { algorithm: JWT_ALGORITHM, subject: user.id, issuer: JWT_ISSUER, audience: ADMIN_AUDIENCE, expiresIn });
    return { cookie: serialize(ADMIN_COOKIE, token, this.cookieOptions(expiresIn)), expiresIn };
  }

  /** The Set-Cookie header that ends the session. */
  clear(): string {
    return serialize(ADMIN_COOKIE, '', this.cookieOptions(0));
  }

  /** Guard for the admin pages: 401 without a valid session, 403 for a user who is no longer an admin. */
  readonly guard: RequestHandler = async (req, _res, next) => {
    const token = parse(req.headers.cookie ?? '')[ADMIN_COOKIE];
    if (!token) {
      throw new HttpError(401, 'admin_session_required', `Sign in first: POST /api/v1/admin/session with an admin's bearer token (Swagger UI's "Try it out" does it in this browser), then open ${ADMIN_PATH}/queues.`);
    }
    let subject: string | undefined;
    try {
      subject = (jwt.verify(token, this.secret, { algorithms: [JWT_ALGORITHM], issuer: JWT_ISSUER, audience: ADMIN_AUDIENCE }) as jwt.JwtPayload).sub;
    } catch {
      throw new HttpError(401, 'admin_session_invalid', 'The admin session is invalid or has expired; start a new one with POST /api/v1/admin/session.');
    }
    const user = subject ? await this.ctx.users.findById(subject) : null;
    if (!user || !isAdmin(user, this.ctx.config.auth.adminUsernames)) throw forbidden();
    next();
  };

  private cookieOptions(maxAge: number) {
    // Secure in production (served over HTTPS there); plain HTTP in development and tests.
    return { httpOnly: true, sameSite: 'strict' as const, secure: this.ctx.config.env === 'production', path: ADMIN_PATH, maxAge };
  }
}

export const forbidden = () => new HttpError(403, 'forbidden', 'Only admins may do this.');
