import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { FrameResult } from '@video-detect/shared';
import { classColor } from '../../viewer/src/overlay/colors.js';
import { launchChromium, listenLocally } from '../helpers/browser.js';
import { TestStack } from '../helpers/stack.js';
import { mediaPath, repoRoot } from '../helpers/test-env.js';

/** The browser globals the page-side callbacks touch (this test project has Node's types, not the DOM's). */
interface PageCanvas {
  width: number;
  dataset: Record<string, string | undefined>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
interface PageElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelector(selector: string): (PageCanvas & { readyState?: number }) | null };
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
declare class DataTransfer {
  items: { add(file: File): void };
}
declare function atob(data: string): string;

const screenshots = path.join(repoRoot, 'docs/images');
const USER = 'viewer-user';
const PASSWORD = 'a long enough password';

/**
 * The web viewer in a real Chromium against the real stack (API, processor, detector, Redis,
 * ffmpeg, the model): what a person does, and the errors they can meet. Takes the docs' screenshots.
 */
describe('web viewer', () => {
  let stack: TestStack;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;
  const problems: string[] = [];

  before(async () => {
    const build = spawnSync('npm', ['run', 'build', '-w', '@video-detect/viewer'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(build.status, 0, `viewer build failed:\n${build.stdout}\n${build.stderr}`);
    mkdirSync(screenshots, { recursive: true });
    // Access tokens live 30 s, so the page rotates its tokens in the background during the test.
    stack = await TestStack.start({ MAX_UPLOAD_BYTES: String(1024 * 1024), JWT_ACCESS_TTL_SECONDS: '30' });
    stack.spawnService('processor');
    stack.spawnService('detector');
    ({ server, base } = await listenLocally(stack.api.app));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(30_000);
    // The page's CSP is as strict as the API's: any inline script or style would show here.
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused/.test(m.text()) && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.stop();
  });

  const alert = () => page.locator('[role=alert]').first();
  const storedRefreshToken = () => page.evaluate(() => (JSON.parse(localStorage.getItem('video-detect.session') ?? '{}') as { refresh_token?: string }).refresh_token ?? null);
  /** A fresh bearer header of the page's user, for reading the truth from the API. */
  const apiToken = async () => `Bearer ${(await stack.api.http().post('/api/v1/auth/token').send({ username: USER, password: PASSWORD }).expect(200)).body.access_token}`;
  let firstRefreshToken: string | null = null;

  it('serves the page with cache headers: index revalidated, hashed assets immutable', async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'a hashed script');
    assert.doesNotMatch(html, /<script>|<style|style=/, 'nothing inline');
    const asset = await fetch(`${base}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
  });

  it('says so when the password is wrong, then registers and signs in', async () => {
    await page.goto(`${base}/`);
    await page.screenshot({ path: path.join(screenshots, 'viewer-sign-in.png') });
    await page.fill('input[name=username]', USER);
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    assert.equal(await alert().innerText(), 'Invalid username or password.');
    await page.click('text=No account yet? Create one');
    await page.fill('input[name=username]', USER);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('.topbar .user', { hasText: USER }).waitFor();
    firstRefreshToken = await storedRefreshToken();
    assert.ok(firstRefreshToken);
  });

  it('uploads several dropped files at once, and explains one that is not a video and one over the size limit', async () => {
    // A real drop: a DataTransfer holding two Files, dispatched on the drop zone.
    const files = [
      { name: 'notes.mp4', type: 'video/mp4', base64: Buffer.from('these are my notes, not a video\n'.repeat(50)).toString('base64') },
      { name: 'car-detection.mp4', type: 'video/mp4', base64: readFileSync(mediaPath('car-detection.mp4')).toString('base64') },
    ];
    const transfer = await page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      return dt;
    }, files);
    await page.dispatchEvent('.dropzone', 'drop', { dataTransfer: transfer });
    const notes = page.locator('[data-upload="notes.mp4"] [role=alert]');
    const big = page.locator('[data-upload="car-detection.mp4"] [role=alert]');
    await Promise.all([notes.waitFor(), big.waitFor()]);
    assert.match(await notes.innerText(), /Not a decodable video/);
    assert.match(await big.innerText(), /larger than the size limit/);
  });

  let videoId = '';
  it('uploads friday.mp4 and shows it completed, live', async () => {
    await page.locator('input[type=file]').setInputFiles(mediaPath('friday.mp4'));
    const row = page.locator('tr[data-video-id]', { hasText: 'friday.mp4' });
    await row.waitFor();
    videoId = (await row.getAttribute('data-video-id'))!;
    await page.locator(`tr[data-video-id="${videoId}"][data-status=completed]`).waitFor({ timeout: 120_000 });
    assert.match(await row.innerText(), /185\/185 frames/);
    await page.screenshot({ path: path.join(screenshots, 'viewer-videos.png') });
  });

  let frames: FrameResult[] = [];
  it('plays it with the boxes of the frame shown, and a class filter removes them', async () => {
    stack.authorization = await apiToken();
    frames = await stack.allFrames(videoId);
    // A large, confident person whose left edge is inside the picture: the edge to look at.
    const candidates = frames.flatMap((f) => f.objects.filter((o) => o.label === 'person' && o.score > 0.6 && o.box[0] > 15).map((o) => ({ f, o, area: (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]) })));
    candidates.sort((a, b) => b.area - a.area);
    const known = candidates[0];
    assert.ok(known, 'friday.mp4 has a person');

    await page.click(`a[href="#/videos/${videoId}"]`);
    await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2);
    await page.fill('input[name=frame]', String(known.f.index));
    await page.press('input[name=frame]', 'Enter');
    await page.waitForFunction((n) => document.querySelector('.stage canvas')?.dataset.frameIndex === String(n), known.f.index);
    assert.match(await page.locator('[data-testid=frame-info]').innerText(), new RegExp(`frame ${known.f.index} `));

    const color = classColor(known.o.label);
    const [x1, y1, , y2] = known.o.box;
    const edge = () =>
      page.evaluate(
        ({ x, y, w }) => {
          const canvas = document.querySelector('.stage canvas')!;
          const s = canvas.width / w;
          const px = canvas.getContext('2d')!.getImageData(Math.round(x * s) - 3, Math.round(y * s) - 3, 7, 7).data;
          return Array.from(px, Number);
        },
        { x: x1, y: (y1 + y2) / 2, w: 640 },
      );
    const matches = (px: number[]) => {
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 200 && Math.abs(px[i]! - color[0]) + Math.abs(px[i + 1]! - color[1]) + Math.abs(px[i + 2]! - color[2]) < 40) n++;
      return n;
    };
    assert.ok(matches(await edge()) >= 3, "the box edge is drawn in the class's colour where the API puts it");
    await page.screenshot({ path: path.join(screenshots, 'viewer-player.png'), fullPage: true });

    await page.uncheck('input[name="class-person"]');
    await page.waitForTimeout(100);
    assert.equal(matches(await edge()), 0, 'filtered away: the box is gone');
    await page.check('input[name="class-person"]');
  });

  it('counts with a line drawn on the video, as the API counts', async () => {
    await page.click('text=Draw line');
    const box = (await page.locator('.stage canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.05);
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.95);
    await page.click('button:has-text("Count")');
    await page.locator('[data-testid=counts]').waitFor({ timeout: 60_000 });
    const list = await stack.api.http().get(`/api/v1/videos/${videoId}/analyses`).set('authorization', await apiToken()).expect(200);
    const analysis = list.body.items[0];
    assert.equal(analysis.status, 'completed');
    assert.ok(Math.abs(analysis.lines[0].points[0][0] - 0.5) < 0.01, 'the line where it was drawn');
    const counts = analysis.lines[0].counts as Record<string, { in: number; out: number }>;
    const shown = await page.locator('[data-testid=counts] tr[data-count="line 1"]').evaluateAll((rows) =>
      (rows as unknown as PageElement[]).map((r) => ({ label: r.getAttribute('data-label'), in: Number(r.querySelector('[data-in]')!.getAttribute('data-in')), out: Number(r.querySelector('[data-out]')!.getAttribute('data-out')) })),
    );
    const expected = Object.entries(counts).map(([label, c]) => ({ label, in: c.in, out: c.out }));
    assert.deepEqual(shown, expected.length ? expected : [{ label: null, in: 0, out: 0 }]);
    await page.locator('.chart canvas').first().waitFor();
    await page.screenshot({ path: path.join(screenshots, 'viewer-counting.png'), fullPage: true });
  });

  it('downloads an export and makes an annotated video that plays in the page', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-export=csv]')]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const rows = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(rows[0], 'frame,timestamp,track_id,label,class_id,score,x1,y1,x2,y2');
    assert.ok(rows.slice(1).every((row) => row.split(',').length === 10), 'one box a row');
    assert.ok(rows.slice(1).some((row) => row.split(',')[3] === 'person'), 'the person boxes the player showed');
    await page.click('button:has-text("Make annotated video")');
    await page.locator('[data-testid=render-video]').waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => ((document.querySelector('[data-testid=render-video]') as { readyState?: number } | null)?.readyState ?? 0) >= 2, undefined, { timeout: 30_000 });
  });

  it('rotated the tokens in the background while the person worked', async () => {
    // Refreshed a fifth of the 30 s lifetime before expiry: the page kept working on new tokens.
    await page.waitForFunction((first) => (JSON.parse(localStorage.getItem('video-detect.session') ?? '{}') as { refresh_token?: string }).refresh_token !== first, firstRefreshToken, { timeout: 40_000 });
    await page.locator('.topbar .user', { hasText: USER }).waitFor();
    // The first refresh token was used up by the rotation: the API refuses it now.
    await stack.api.http().post('/api/v1/auth/refresh').send({ refresh_token: firstRefreshToken }).expect(401);
  });

  it('an expired session sends the person to sign in with a message', async () => {
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('video-detect.session') ?? '{}') as Record<string, unknown>;
      localStorage.setItem('video-detect.session', JSON.stringify({ ...s, access_token: 'expired', refresh_token: 'spent' }));
    });
    await page.goto(`${base}/#/`);
    await page.reload();
    await page.locator('.notice', { hasText: 'Your session has expired' }).waitFor();
  });

  it('says so when the API is down', async () => {
    await page.fill('input[name=username]', USER);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('tr[data-video-id]').first().waitFor();
    server.closeAllConnections();
    server.close();
    await page.locator('.notice', { hasText: 'Cannot reach the server' }).waitFor();
    assert.deepEqual(problems, [], 'no CSP violations or page errors');
  });
});
