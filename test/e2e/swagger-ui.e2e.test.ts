import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEFAULT_TRACKER_SETTINGS } from '@video-detect/shared';
import { launchChromium, listenLocally } from '../helpers/browser.js';
import { countDecodedFrames, TestStack, type VideoBody } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

/**
 * Swagger UI in a real browser, as a person uses it: authorize with the raw token, open the upload,
 * "Try it out", pick a file, Execute. The schema's examples must not slip into that request: the
 * video is analysed whole, every frame and every class.
 */
describe('Swagger UI "Try it out" on the upload', () => {
  let stack: TestStack;
  let server: Server;
  let browser: Browser;
  let base: string;
  before(async () => {
    stack = await TestStack.start();
    stack.spawnService('processor');
    stack.spawnService('detector');
    ({ server, base } = await listenLocally(stack.api.app));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.stop();
  });

  it('leaves the optional fields empty, so picking a file and executing uploads a default request', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    // The Content-Security-Policy (helmet) must let Swagger UI run: Chromium reports each thing it blocks on the console.
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    const docs = await page.goto(`${base}/docs/`);
    assert.match(docs?.headers()['content-security-policy'] ?? '', /script-src 'self'/, 'the docs page has a CSP');

    await page.click('button.authorize');
    await page.fill('.modal-ux input[type=text]', stack.authorization.replace(/^Bearer /, ''));
    await page.click('.modal-ux .auth-btn-wrapper button.authorize');
    await page.click('.modal-ux button.btn-done');

    const upload = page.locator('#operations-videos-post_api_v1_videos');
    await upload.locator('.opblock-summary').click();
    await upload.locator('button.try-out__btn').click();
    for (const field of ['sample_fps', 'min_score', 'classes', 'tracking', 'tracker', 'analysis']) {
      assert.equal(await upload.locator(`tr[data-property-name="${field}"] input:not([type=checkbox])`).inputValue(), '', `${field} starts empty`);
    }
    await upload.locator('tr[data-property-name="video"] input[type=file]').setInputFiles(mediaPath('friday.mp4'));
    await upload.locator('button.execute').click();

    const status = upload.locator('.live-responses-table .response .response-col_status');
    await status.waitFor();
    const body = JSON.parse(await upload.locator('.live-responses-table .response-col_description .microlight').first().innerText()) as VideoBody & {
      options: Record<string, unknown>;
    };
    assert.equal((await status.innerText()).trim(), '202', JSON.stringify(body));
    assert.deepEqual(blocked, [], 'nothing blocked by the CSP');
    assert.deepEqual(body.options, { sample_fps: null, min_score: null, classes: null, tracking: true, tracker: DEFAULT_TRACKER_SETTINGS });

    await stack.waitForWorkers('detector', 1);
    const video = await stack.waitForEnd(body.id, 180_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    assert.equal(video.progress.frames_total, countDecodedFrames(mediaPath('friday.mp4')), 'every frame analysed');
    await page.close();
  });
});
