import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { chromium } from 'playwright-core';
import { securityHeaders } from '../../services/api/src/http/security-headers.js';
import { startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath } from '../helpers/test-env.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function directivesOf(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values.join(' ')]));
}

describe('security headers (helmet)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('are on every kind of response: JSON, errors, 404, the OpenAPI document and Swagger UI', async () => {
    const responses = {
      health: await api.http().get('/healthz').expect(200),
      openapi: await api.http().get('/openapi.json').expect(200),
      'unknown route': await api.http().get('/nope').expect(404),
      'no token': await api.http().get('/api/v1/videos').expect(401),
      'bad JSON': await api.http().post('/api/v1/auth/register').set('content-type', 'application/json').send('{').expect(400),
      'Swagger UI': await api.http().get('/docs/').expect(200),
    };
    for (const [name, res] of Object.entries(responses)) {
      const h = res.headers;
      assert.equal(h['x-content-type-options'], 'nosniff', name);
      assert.match(String(h['strict-transport-security']), /max-age=\d+/, name);
      assert.equal(h['x-frame-options'], 'SAMEORIGIN', name);
      assert.equal(h['referrer-policy'], 'no-referrer', name);
      assert.equal(h['cross-origin-opener-policy'], 'same-origin', name);
      assert.equal(h['cross-origin-resource-policy'], 'same-origin', name);
      assert.equal(h['x-powered-by'], undefined, name);
      const csp = directivesOf(String(h['content-security-policy']));
      assert.equal(csp.get('default-src'), "'self'", name);
      assert.equal(csp.get('script-src'), "'self'", `${name}: scripts from this origin only, never inline`);
      assert.equal(csp.get('object-src'), "'none'", name);
      assert.equal(csp.has('upgrade-insecure-requests'), false, `${name}: plain-HTTP installs keep working`);
      assert.equal(csp.get('style-src'), name === 'Swagger UI' ? "'self' 'unsafe-inline'" : "'self'", name);
    }
  });

  it('asks browsers to upgrade insecure requests when the public address is https', async () => {
    const tls = await startTestApi({ PUBLIC_BASE_URL: 'https://detect.example.com' });
    try {
      const csp = directivesOf(String((await tls.http().get('/healthz').expect(200)).headers['content-security-policy']));
      assert.equal(csp.has('upgrade-insecure-requests'), true);
    } finally {
      await tls.close();
    }
  });

  it("lets a page like the web viewer work in a real browser (same-origin module script, stylesheet, JSON, event stream, <video>, <canvas>) and blocks inline scripts", async () => {
    assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`);
    // What the viewer (a Vite build served at /) does, behind the API's own header middleware.
    const app = express();
    app.use(securityHeaders(undefined));
    app.get('/', (_req, res) => {
      res.type('html').send(`<!doctype html><html><head><link rel="stylesheet" href="/assets/app.css"><script type="module" src="/assets/app.js"></script></head>
        <body><video id="v" muted playsinline src="/media/friday.mp4"></video><canvas id="c" width="64" height="36"></canvas>
        <script>window.inlineRan = true</script></body></html>`);
    });
    app.get('/assets/app.css', (_req, res) => res.type('css').send('canvas { border: 1px solid red; }'));
    app.get('/assets/app.js', (_req, res) => {
      res.type('js').send(`
        const json = await (await fetch('/api/data.json')).json();
        const event = await new Promise((resolve, reject) => { const es = new EventSource('/api/events'); es.onmessage = (e) => { es.close(); resolve(e.data); }; es.onerror = reject; });
        const video = document.getElementById('v');
        await new Promise((resolve, reject) => { video.onloadeddata = resolve; video.onerror = () => reject(new Error('video')); if (video.readyState >= 2) resolve(); });
        await new Promise((resolve) => { video.onseeked = resolve; video.currentTime = 1; });
        const ctx = document.getElementById('c').getContext('2d');
        ctx.drawImage(video, 0, 0, 64, 36);
        const pixels = ctx.getImageData(0, 0, 64, 36).data.some((v, i) => i % 4 !== 3 && v > 0);
        window.result = { json: json.ok, event, pixels, border: getComputedStyle(document.getElementById('c')).borderTopStyle };`);
    });
    app.get('/api/data.json', (_req, res) => res.json({ ok: true }));
    app.get('/api/events', (_req, res) => {
      res.set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).write('data: hello\n\n');
    });
    app.get('/media/friday.mp4', (_req, res) => res.sendFile(mediaPath('friday.mp4')));
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const blocked: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      // Evaluated in the page (strings: the tests compile without the DOM library). Polled with evaluate:
      // waitForFunction would eval the string inside the page, which this very CSP forbids.
      const deadline = Date.now() + 60_000;
      while (!(await page.evaluate("'result' in window"))) {
        assert.ok(Date.now() < deadline, 'the page never finished its work');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const result: unknown = await page.evaluate("({ ...window.result, inlineRan: 'inlineRan' in window })");
      assert.deepEqual(result, { json: true, event: 'hello', pixels: true, border: 'solid', inlineRan: false });
      assert.equal(blocked.length, 1, blocked.join('\n'));
      assert.match(blocked[0]!, /inline script/i, 'only the inline script is blocked');
    } finally {
      await browser.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
