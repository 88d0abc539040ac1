import { z } from '../http/zod.js';
import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { HttpError } from '../http/http-error.js';
import type { RequestHandler } from 'express';
import { decoyHash, hashPassword, verifyPassword } from './password.js';

const credentialsSchema = z
  .object({
    username: z
      .string()
      .min(3)
      .max(64)
      .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and "_", ".", "@", "-" only')
      .openapi({ example: 'alice' }),
    password: z.string().min(8).max(256).openapi({ example: 'correct horse battery' }),
  })
  .openapi('Credentials');

const tokenPairSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds until the access token expires.' }),
    refresh_token: z.string().openapi({ description: 'Single use: exchanging it returns a new one.' }),
  })
  .openapi('TokenPair');

const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'Invalid username or password.');

export function registerAuthRoutes(routes: ApiRoutes, ctx: AppContext, authRateLimit: RequestHandler): void {
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
      const role = ctx.config.auth.adminUsernames.includes(body.username.toLowerCase()) ? 'admin' : 'user';
      const user = await ctx.users.create(body.username, await hashPassword(body.password), role);
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
    body: credentialsSchema,
    middleware: [authRateLimit],
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
      const userId = await ctx.tokens.consumeRefreshToken(body.refresh_token);
      const user = userId ? await ctx.users.findById(userId) : null;
      if (!user) throw new HttpError(401, 'invalid_refresh_token', 'The refresh token is invalid, expired or already used.');
      return { body: await ctx.tokens.issue(user) };
    },
  });
}
