import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { hashPassword } from '../../services/api/src/auth/password.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';

const secret = 'test-secret-that-is-long-enough-for-hs256-0123456789';

describe('auth', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('registers, refuses a taken name (any case), and validates the body', async () => {
    const res = await api.http().post('/api/v1/auth/register').send({ username: 'alice', password: 'password-1' }).expect(201);
    assert.equal(res.body.username, 'alice');
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assertError((await api.http().post('/api/v1/auth/register').send({ username: 'ALICE', password: 'password-2' }).expect(409)).body, 'username_taken');
    assertError((await api.http().post('/api/v1/auth/register').send({ username: 'bob', password: 'short' }).expect(400)).body, 'invalid_request');
    assertError((await api.http().post('/api/v1/auth/register').set('content-type', 'application/json').send('{"username":').expect(400)).body, 'invalid_json');
  });

  it('issues tokens and answers bad credentials the same whether or not the user exists', async () => {
    const ok = await api.http().post('/api/v1/auth/token').send({ username: 'alice', password: 'password-1' }).expect(200);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.body.expires_in, 900);
    assert.ok(ok.body.access_token && ok.body.refresh_token);
    const wrong = await api.http().post('/api/v1/auth/token').send({ username: 'alice', password: 'wrong-password' }).expect(401);
    const unknown = await api.http().post('/api/v1/auth/token').send({ username: 'nobody', password: 'wrong-password' }).expect(401);
    assert.deepEqual(wrong.body, unknown.body);
    assertError(wrong.body, 'invalid_credentials');
  });

  it('login checks credentials only: a wrong password of any length is 401, and a password older than the policy still works', async () => {
    const unknown = await api.http().post('/api/v1/auth/token').send({ username: 'nobody', password: 'abcde' }).expect(401);
    for (const password of ['abcde', 'x', 'p'.repeat(300)]) {
      const res = await api.http().post('/api/v1/auth/token').send({ username: 'alice', password }).expect(401);
      assert.deepEqual(res.body, unknown.body, `password of ${password.length} characters`);
    }
    // A name the registration policy refuses is simply not a user.
    assert.deepEqual((await api.http().post('/api/v1/auth/token').send({ username: 'a b', password: 'abcde' }).expect(401)).body, unknown.body);
    // A user stored with a 5-character password (set before the policy) can still sign in.
    await api.ctx.users.create('legacy', await hashPassword('abcde'));
    await api.http().post('/api/v1/auth/token').send({ username: 'legacy', password: 'abcde' }).expect(200);
    // The body is still validated as a body: missing fields are 400.
    assertError((await api.http().post('/api/v1/auth/token').send({ username: 'alice' }).expect(400)).body, 'invalid_request');
  });

  it('rotates refresh tokens: a used one is refused', async () => {
    const first = await api.http().post('/api/v1/auth/token').send({ username: 'alice', password: 'password-1' }).expect(200);
    const second = await api.http().post('/api/v1/auth/refresh').send({ refresh_token: first.body.refresh_token }).expect(200);
    assert.notEqual(second.body.refresh_token, first.body.refresh_token);
    await api.http().get('/api/v1/videos').set('authorization', `Bearer ${second.body.access_token}`).expect(200);
    assertError((await api.http().post('/api/v1/auth/refresh').send({ refresh_token: first.body.refresh_token }).expect(401)).body, 'invalid_refresh_token');
    await api.http().post('/api/v1/auth/refresh').send({ refresh_token: second.body.refresh_token }).expect(200);
  });

  it('answers 401 without a token and for tampered, expired, alg:none, wrongly signed or other-algorithm tokens', async () => {
    const { authorization } = await api.login('carol');
    const good = authorization.slice('Bearer '.length);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      'not a bearer': `Basic ${Buffer.from('carol:a long password').toString('base64')}`,
      garbage: 'Bearer not.a.jwt',
      tampered: `Bearer ${header}.${tamperedPayload}.${signature}`,
      expired: `Bearer ${jwt.sign({ username: 'carol', iat: now - 3600, exp: now - 60 }, secret, { algorithm: 'HS256', subject: String(claims.sub), issuer: 'video-detect' })}`,
      'alg none': `Bearer ${noneHeader}.${payload}.`,
      'other secret': `Bearer ${jwt.sign({ username: 'carol' }, 'another-secret-another-secret-another', { algorithm: 'HS256', subject: String(claims.sub), issuer: 'video-detect' })}`,
      'other algorithm': `Bearer ${jwt.sign({ username: 'carol' }, secret, { algorithm: 'HS512', subject: String(claims.sub), issuer: 'video-detect' })}`,
    };
    await api.http().get('/api/v1/videos').set('authorization', authorization).expect(200);
    for (const [name, value] of Object.entries(bad)) {
      const req = api.http().get('/api/v1/videos');
      if (value) req.set('authorization', value);
      const res = await req;
      assert.equal(res.status, 401, `${name} token should be refused`);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assertError(res.body, 'unauthorized');
    }
  });

  it('refuses registration when switched off', async () => {
    const closed = await startTestApi({ REGISTRATION_ENABLED: 'false' });
    try {
      const res = await closed.http().post('/api/v1/auth/register').send({ username: 'dave', password: 'password-1' }).expect(403);
      assertError(res.body, 'registration_disabled');
    } finally {
      await closed.close();
    }
  });
});
