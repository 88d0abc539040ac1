import { z } from '../http/zod.js';
import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { HttpError, unauthorized } from '../http/http-error.js';
import type { RequestHandler } from 'express';
import { decoyHash, hashPassword, verifyPassword } from './password.js';

/** The password policy, applied where a password is set (registration, password change), never at login. */
const newPasswordSchema = z.string().min(8).max(256);

const credentialsSchema = z
  .object({
    username: z
      .string()
      .min(3)
      .max(64)
      .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and "_", ".", "@", "-" only')
      .openapi({ example: 'alice' }),
    password: newPasswordSchema.openapi({ example: 'correct horse battery' }),
  })
  .openapi('Credentials');

// Login checks credentials only: the registration policy (length, characters) must not answer 400
// for a wrong password, or a client could tell the policy from a failed login and a user whose
// password predates a stricter policy could never sign in. The bounds only cap the work per request.
const loginSchema = z
  .object({
    username: z.string().min(1).max(256).openapi({ example: 'alice' }),
    password: z.string().min(1).max(1024).openapi({ example: 'correct horse battery' }),
  })
  .openapi('Login');

const tokenPairSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds until the access token expires.' }),
    refresh_token: z.string().openapi({ description: 'Single use: exchanging it returns a new one.' }),
  })
  .openapi('TokenPair');

const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'Invalid username or password.');

const passwordChangeSchema = z
  .object({
    current_password: loginSchema.shape.password,
    new_password: newPasswordSchema.openapi({ example: 'a new correct horse' }),
  })
  .openapi('PasswordChange');

/** Limits on the routes that check a password: per client address, and per account (a slow-down, never a lock-out). */
export interface AuthLimits {
  perAddress: RequestHandler;
  perAccount: RequestHandler;
}

export function registerAuthRoutes(routes: ApiRoutes, ctx: AppContext, limits: AuthLimits): void {
  const authRateLimit = limits.perAddress;
  routes.add({
    method: 'post',
    path: '/api/v1/auth/register',
    summary: 'Create an account',
    tags: ['auth'],
    auth: false,
    body: credentialsSchema,
    middleware: [authRateLimit],
    response: { status: 201, description: 'Created.', schema: z.object({ id: z.string().uuid(), username: z.string() }).openapi('UserCreated') },
    errors: { 403: 'Registration is switched off.', 409: 'The username is taken.' },
    handler: async ({ body }) => {
      if (!ctx.config.api.registrationEnabled) throw new HttpError(403, 'registration_disabled', 'Registration is switched off on this server.');
      const user = await ctx.users.create(body.username, await hashPassword(body.password));
      if (!user) throw new HttpError(409, 'username_taken', 'That username is taken.');
      return { body: { id: user.id, username: user.username } };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/auth/token',
    summary: 'Exchange username and password for tokens',
    tags: ['auth'],
    auth: false,
    body: loginSchema,
    description: `Checks the credentials only (a wrong password of any length is 401, never 400). After ${ctx.config.api.loginSlowDown.after} failed logins for one username within ${ctx.config.api.loginSlowDown.windowMs / 1000} s, from any address, each further attempt is answered later (a delay that doubles per failure, up to ${ctx.config.api.loginSlowDown.maxDelayMs / 1000} s): slowed, never refused, so nobody can lock a user out.`,
    middleware: [authRateLimit, limits.perAccount],
    response: { status: 200, description: 'Tokens.', schema: tokenPairSchema },
    errors: { 401: 'Bad credentials (the same whether or not the user exists).' },
    handler: async ({ body }) => {
      const user = await ctx.users.findByUsername(body.username);
      // Always run the KDF so a missing user costs the same time as a wrong password.
      const valid = await verifyPassword(body.password, user?.password_hash ?? decoyHash);
      if (!user || !valid) throw invalidCredentials();
      return { body: await ctx.tokens.issue(user) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: 'Exchange a refresh token for new tokens (the old one stops working)',
    tags: ['auth'],
    auth: false,
    body: z.object({ refresh_token: z.string().min(1).max(512) }).openapi('RefreshRequest'),
    middleware: [authRateLimit],
    response: { status: 200, description: 'New tokens.', schema: tokenPairSchema },
    errors: { 401: 'Unknown, expired or already used refresh token.' },
    handler: async ({ body }) => {
      const consumed = await ctx.tokens.consumeRefreshToken(body.refresh_token);
      const user = consumed ? await ctx.users.findById(consumed.userId) : null;
      // A token issued before a password change or "sign out everywhere" is revoked.
      if (!user || user.token_version !== consumed?.tokenVersion) throw new HttpError(401, 'invalid_refresh_token', 'The refresh token is invalid, expired or already used.');
      return { body: await ctx.tokens.issue(user) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/auth/password',
    summary: 'Change your password (signs out every other session)',
    description:
      'Needs the current password. Revokes every access and refresh token issued to the user so far, on every device, and answers a new token pair for this client. Failed attempts count towards the per-account login slow-down.',
    tags: ['auth'],
    auth: true,
    body: passwordChangeSchema,
    middleware: [authRateLimit, limits.perAccount],
    response: { status: 200, description: 'New tokens; every token issued before is revoked.', schema: tokenPairSchema },
    errors: { 403: 'The current password is wrong.' },
    handler: async ({ body, user: caller }) => {
      const user = await ctx.users.findById(caller.id);
      if (!user) throw unauthorized();
      if (!(await verifyPassword(body.current_password, user.password_hash))) throw new HttpError(403, 'wrong_password', 'The current password is wrong.');
      const tokenVersion = await ctx.users.changePassword(user.id, await hashPassword(body.new_password));
      return { body: await ctx.tokens.issue({ ...user, token_version: tokenVersion }) };
    },
  });

  routes.add({
    method: 'delete',
    path: '/api/v1/auth/sessions',
    summary: 'Sign out everywhere',
    description: 'Revokes every access and refresh token issued to the user, this one included, on every device.',
    tags: ['auth'],
    auth: true,
    middleware: [authRateLimit],
    response: { status: 204, description: 'Signed out everywhere.', schema: undefined },
    handler: async ({ user }) => {
      await ctx.users.revokeTokens(user.id);
    },
  });
}
