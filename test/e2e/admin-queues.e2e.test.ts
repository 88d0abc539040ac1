import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { QueueName } from '@video-detect/shared';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * bull-board at /admin/queues behind the admin cookie session: a real browser (which cannot send
 * a bearer header on a page load) signs in through POST /api/v1/admin/session and sees the queues;
 * a non-admin, a missing, forged or non-admin session are refused.
 */
describe('queue dashboard for admins', () => {
  let api: TestApi;
  let server: Server;
  let base: string;
  let browser: Browser;
  let admin: { authorization: string; userId: string };
  let alice: { authorization: string; userId: string };

  before(async () => {
    assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath}`);
    api = await startTestApi({ ADMIN_USERNAMES: 'Root-Admin' });
    admin = await api.login('root-admin');
    alice = await api.login('alice');
    server = api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
    await api.close();
  });

  it('an admin signs in from the browser and sees every queue', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/admin/queues`);
      assert.match((await page.textContent('body')) ?? '', /admin_session_required/, 'no session yet: 401 JSON');
      // What Swagger UI's "Try it out" does: the bearer call from the page, which stores the cookie.
      const status = await page.evaluate(
        async ([authorization]) => (await fetch('/api/v1/admin/session', { method: 'POST', headers: { authorization: authorization! } })).status,
        [admin.authorization],
      );
      assert.equal(status, 200);
      const cookie = (await page.context().cookies()).find((c) => c.name === 'vd_admin');
      assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/admin', JSON.stringify(cookie));
      await page.goto(`${base}/admin/queues`);
      for (const queue of Object.values(QueueName)) await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
      // The dashboard's own API answers the page (cookie sent with it).
      const queues = await page.evaluate(async () => (await fetch('/admin/queues/api/queues')).json() as Promise<{ queues: Array<{ name: string; readOnlyMode: boolean }> }>);
      assert.deepEqual(queues.queues.map((q) => q.name).sort(), Object.values(QueueName).sort());
      assert.ok(queues.queues.every((q) => q.readOnlyMode));
    } finally {
      await page.close();
    }
  });

  it('refuses a non-admin (403), no session (401) and a forged session (401); the role is kept on the user', async () => {
    assertError((await api.http().post('/api/v1/admin/session').set('authorization', alice.authorization).expect(403)).body, 'forbidden');
    assertError((await api.http().post('/api/v1/admin/session').expect(401)).body, 'unauthorized');
    assertError((await api.http().get('/admin/queues').expect(401)).body, 'admin_session_required');
    // A bearer header is not a session, and an access token in the cookie is not one either.
    assertError((await api.http().get('/admin/queues/api/queues').set('authorization', admin.authorization).expect(401)).body, 'admin_session_required');
    const accessToken = admin.authorization.replace('Bearer ', '');
    assertError((await api.http().get('/admin/queues/api/queues').set('cookie', `vd_admin=${accessToken}`).expect(401)).body, 'admin_session_invalid');
    assert.equal((await api.ctx.users.findById(admin.userId))?.role, 'admin');
    assert.equal((await api.ctx.users.findById(alice.userId))?.role, 'user');
  });

  it('a session stops working when its user is no longer an admin, and after sign-out', async () => {
    await api.ctx.users.setRole(alice.userId, 'admin');
    const agent = api.http();
    await agent.post('/api/v1/admin/session').set('authorization', alice.authorization).expect(200);
    await agent.get('/admin/queues/api/queues').expect(200);
    await api.ctx.users.setRole(alice.userId, 'user');
    assertError((await agent.get('/admin/queues/api/queues').expect(403)).body, 'forbidden');
    await api.ctx.users.setRole(alice.userId, 'admin');
    await agent.delete('/api/v1/admin/session').expect(204);
    await agent.get('/admin/queues/api/queues').expect(401);
  });
});
