import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { hashPassword } from '../../services/api/src/auth/password.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';

interface TokenPair {
  access_token: string;
  refresh_token: string;
}

const secret = 'test-secret-that-is-long-enough-for-hs256-0123456789';

describe('auth', () => {
  let api: TestApi;
  before(async () => {
    // Many logins from one address: the per-address limit is tested in its own API below.
    api = await startTestApi({ AUTH_RATE_LIMIT_MAX: '200' });
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
    const subject = String(claims.sub);
    // Each forged token differs from a valid one in the one way its name says.
    const sign = (extra: Record<string, unknown>, options: jwt.SignOptions, key = secret) =>
      `Bearer ${jwt.sign({ username: 'carol', ver: 0, ...extra }, key, { algorithm: 'HS256', subject, issuer: 'video-detect', audience: 'video-detect-api', ...options })}`;
    const forgedValid = sign({}, {});
    await api.http().get('/api/v1/videos').set('authorization', forgedValid).expect(200);
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      'not a bearer': `Basic ${Buffer.from('carol:a long password').toString('base64')}`,
      garbage: 'Bearer not.a.jwt',
      tampered: `Bearer ${header}.${tamperedPayload}.${signature}`,
      'alg none': `Bearer ${noneHeader}.${payload}.`,
      expired: sign({ iat: now - 3600, exp: now - 60 }, {}),
      'other secret': sign({}, {}, 'another-secret-another-secret-another'),
      'other algorithm': sign({}, { algorithm: 'HS512' }),
      'other issuer': sign({}, { issuer: 'someone-else' }),
      'other audience': sign({}, { audience: 'another-api' }),
      'no audience': `Bearer ${jwt.sign({ username: 'carol', ver: 0 }, secret, { algorithm: 'HS256', subject, issuer: 'video-detect' })}`,
      'older token version': sign({ ver: -1 }, {}),
      'no token version': `Bearer ${jwt.sign({ username: 'carol' }, secret, { algorithm: 'HS256', subject, issuer: 'video-detect', audience: 'video-detect-api' })}`,
      'unknown user': sign({}, { subject: '00000000-0000-4000-8000-000000000000' }),
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

  it('a password change needs the current password, revokes every token of the user and answers a new pair', async () => {
    const deviceA = await api.login('erin', 'first password');
    const deviceB = (await api.http().post('/api/v1/auth/token').send({ username: 'erin', password: 'first password' }).expect(200)).body as TokenPair;
    const change = (body: object, authorization = deviceA.authorization) => api.http().post('/api/v1/auth/password').set('authorization', authorization).send(body);
    assertError((await change({ current_password: 'wrong password', new_password: 'second password' }).expect(403)).body, 'wrong_password');
    assertError((await change({ current_password: 'first password', new_password: 'short' }).expect(400)).body, 'invalid_request');
    assertError((await api.http().post('/api/v1/auth/password').send({ current_password: 'first password', new_password: 'second password' }).expect(401)).body, 'unauthorized');
    const fresh = (await change({ current_password: 'first password', new_password: 'second password' }).expect(200)).body as TokenPair;

    await api.http().get('/api/v1/videos').set('authorization', `Bearer ${fresh.access_token}`).expect(200);
    for (const authorization of [deviceA.authorization, `Bearer ${deviceB.access_token}`]) {
      assertError((await api.http().get('/api/v1/videos').set('authorization', authorization).expect(401)).body, 'unauthorized');
    }
    for (const refresh_token of [deviceA.refreshToken, deviceB.refresh_token]) {
      assertError((await api.http().post('/api/v1/auth/refresh').send({ refresh_token }).expect(401)).body, 'invalid_refresh_token');
    }
    await api.http().post('/api/v1/auth/token').send({ username: 'erin', password: 'first password' }).expect(401);
    await api.http().post('/api/v1/auth/token').send({ username: 'erin', password: 'second password' }).expect(200);
    await api.http().post('/api/v1/auth/refresh').send({ refresh_token: fresh.refresh_token }).expect(200);
  });

  it('signs out everywhere: every access and refresh token of the user stops working, other users keep theirs', async () => {
    const deviceA = await api.login('frank');
    const deviceB = (await api.http().post('/api/v1/auth/token').send({ username: 'frank', password: 'a long password' }).expect(200)).body as TokenPair;
    const other = await api.login('grace');
    await api.http().delete('/api/v1/auth/sessions').expect(401);
    await api.http().delete('/api/v1/auth/sessions').set('authorization', `Bearer ${deviceB.access_token}`).expect(204);
    for (const authorization of [deviceA.authorization, `Bearer ${deviceB.access_token}`]) {
      await api.http().get('/api/v1/videos').set('authorization', authorization).expect(401);
    }
    for (const refresh_token of [deviceA.refreshToken, deviceB.refresh_token]) {
      await api.http().post('/api/v1/auth/refresh').send({ refresh_token }).expect(401);
    }
    await api.http().get('/api/v1/videos').set('authorization', other.authorization).expect(200);
    await api.http().post('/api/v1/auth/refresh').send({ refresh_token: other.refreshToken }).expect(200);
    const again = (await api.http().post('/api/v1/auth/token').send({ username: 'frank', password: 'a long password' }).expect(200)).body as TokenPair;
    await api.http().get('/api/v1/videos').set('authorization', `Bearer ${again.access_token}`).expect(200);
  });

  it('slows logins to one account down after failures from any address, without locking its owner out', async () => {
    const delayMs = 1000;
    const slow = await startTestApi({ TRUST_PROXY: '1', LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_DELAY_MS: String(delayMs), LOGIN_SLOWDOWN_MAX_DELAY_MS: String(2 * delayMs) });
    try {
      await slow.login('heidi', 'the right password');
      await slow.login('ivan', 'the right password');
      let address = 0;
      const attempt = async (username: string, password: string, status: number) => {
        const started = performance.now();
        await slow.http().post('/api/v1/auth/token').set('x-forwarded-for', `203.0.113.${++address}`).send({ username, password }).expect(status);
        return performance.now() - started;
      };
      // Two failures, each from its own address, are free; the next ones wait, doubling up to the maximum.
      // The two free failures also measure what an attempt costs here (the KDF, on a busy machine).
      const unslowed = Math.max(await attempt('heidi', 'wrong 1', 401), await attempt('heidi', 'wrong 2', 401));
      assert.ok((await attempt('heidi', 'wrong 3', 401)) >= delayMs, 'third failure delayed');
      assert.ok((await attempt('heidi', 'wrong 4', 401)) >= 2 * delayMs, 'fourth failure delayed twice as long');
      // The owner still gets in (later, not refused); another account is not slowed by heidi's failures.
      assert.ok((await attempt('heidi', 'the right password', 200)) >= 2 * delayMs, 'the right password is slowed, not refused');
      const otherAccount = await attempt('ivan', 'the right password', 200);
      assert.ok(otherAccount < unslowed + delayMs / 2, `another account is not slowed (${Math.round(otherAccount)} ms, an unslowed attempt ${Math.round(unslowed)} ms)`);
      // A wrong current password on a password change counts for the same account.
      const { access_token } = (await slow.http().post('/api/v1/auth/token').send({ username: 'ivan', password: 'the right password' }).expect(200)).body as TokenPair;
      for (let i = 0; i < 2; i++) await slow.http().post('/api/v1/auth/password').set('authorization', `Bearer ${access_token}`).send({ current_password: 'wrong', new_password: 'whatever password' }).expect(403);
      assert.ok((await attempt('ivan', 'wrong 3', 401)) >= delayMs, 'failed password changes count too');
    } finally {
      await slow.close();
    }
  });

  it('limits password attempts per client address (429 JSON), apart from the per-account slow-down', async () => {
    const limited = await startTestApi({ TRUST_PROXY: '1', AUTH_RATE_LIMIT_MAX: '3', LOGIN_SLOWDOWN_AFTER: '100' });
    try {
      const attempt = (address: string) => limited.http().post('/api/v1/auth/token').set('x-forwarded-for', address).send({ username: 'judy', password: 'a guess' });
      for (let i = 0; i < 3; i++) await attempt('198.51.100.1').expect(401);
      const refused = await attempt('198.51.100.1').expect(429);
      assertError(refused.body, 'too_many_requests');
      assert.ok(refused.headers.ratelimit, 'RateLimit header');
      await attempt('198.51.100.2').expect(401);
    } finally {
      await limited.close();
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
