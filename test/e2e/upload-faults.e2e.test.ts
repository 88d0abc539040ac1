import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { INCOMING_DIR, serviceNodeArgs } from '@video-detect/shared';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { freePort } from '../helpers/private-redis.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { createTestEnv, mediaPath, repoRoot } from '../helpers/test-env.js';

/** Every file under `dir` (relative paths), directories left out. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('disk full during an upload (a 1 MiB tmpfs as the storage dir)', () => {
  let tmpfs: ReturnType<typeof mountTmpfs> | undefined;
  let mountPoint = '';
  let api: TestApi;
  before(async () => {
    tmpfs = mountTmpfs('1m', 'full-disk');
    mountPoint = tmpfs.dir;
    api = await startTestApi({ VIDEO_STORAGE_DIR: mountPoint });
  });
  after(async () => {
    await api?.close().catch(() => undefined);
    tmpfs?.unmount();
  });

  it('answers 507 JSON and keeps nothing; once there is room again an upload is accepted', async () => {
    const { authorization } = await api.login('disk-full');
    // 2.8 MB into 1 MiB.
    const res = await api.http().post('/api/v1/videos').set('authorization', authorization).attach('video', mediaPath('car-detection.mp4'));
    assert.equal(res.status, 507, JSON.stringify(res.body));
    assertError(res.body, 'insufficient_storage');
    assert.deepEqual(filesUnder(mountPoint), [], 'nothing left behind');
    const listed = await api.http().get('/api/v1/videos').set('authorization', authorization).expect(200);
    assert.equal((listed.body as { items: unknown[] }).items.length, 0, 'no video recorded');
    // 160 kB fits: the failed upload freed all it took.
    const ok = await api.http().post('/api/v1/videos').set('authorization', authorization).attach('video', mediaPath('iphone_rotated.mov'));
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.deepEqual(filesUnder(mountPoint), [`${(ok.body as { id: string }).id}.mov`]);
  });
});

describe('a server without ffmpeg or ffprobe', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ FFPROBE_PATH: '/nonexistent/ffprobe' });
    mkdirSync(api.env.storageDir, { recursive: true });
  });
  after(async () => {
    await api?.close().catch(() => undefined);
  });

  it('refuses an upload with 503 JSON naming the cause, and keeps nothing', async () => {
    const { authorization } = await api.login('no-ffprobe');
    const res = await api.http().post('/api/v1/videos').set('authorization', authorization).attach('video', mediaPath('friday.mp4'));
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assertError(res.body, 'dependency_unavailable');
    assert.match((res.body as { error: { message: string } }).error.message, /ffprobe/);
    assert.deepEqual(filesUnder(api.env.storageDir), [], 'nothing left behind');
    const listed = await api.http().get('/api/v1/videos').set('authorization', authorization).expect(200);
    assert.equal((listed.body as { items: unknown[] }).items.length, 0, 'no video recorded');
  });

  it('stops each service at start-up with the fix, instead of starting and failing every video', async () => {
    const missing = { FFMPEG_PATH: '/nonexistent/ffmpeg', FFPROBE_PATH: '/nonexistent/ffprobe' };
    for (const name of ['api', 'processor', 'detector'] as const) {
      const child = spawn(process.execPath, serviceNodeArgs(name, repoRoot), { env: { ...process.env, ...api.env.vars, ...missing, PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1, `${name} exit code; stderr: ${stderr}`);
      assert.match(stderr, /ffmpeg cannot be run at "\/nonexistent\/ffmpeg" \(FFMPEG_PATH\): install ffmpeg/, name);
      if (name !== 'detector') assert.match(stderr, /ffprobe cannot be run at "\/nonexistent\/ffprobe"/, name);
    }
  });
});

describe('the API killed mid-upload', () => {
  const env = createTestEnv({ UPLOAD_IDLE_SECONDS: '1' });
  const running: ChildProcess[] = [];
  let port = 0;

  async function startApi(): Promise<ChildProcess> {
    const child = spawn(process.execPath, serviceNodeArgs('api', repoRoot), { env: { ...process.env, ...env.vars, PORT: String(port) }, stdio: 'ignore' });
    running.push(child);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) return child;
    }
    throw new Error('the API did not start');
  }

  before(async () => {
    port = await freePort();
    mkdirSync(env.storageDir, { recursive: true });
  });
  after(async () => {
    for (const child of running) child.kill('SIGKILL');
    await env.cleanup();
  });

  it('leaves no orphan: the partial upload is removed when an API starts (or by age)', async () => {
    const api = await startApi();
    const base = `http://127.0.0.1:${port}/api/v1`;
    const username = 'killed-mid-upload';
    await fetch(`${base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'a long password' }) });
    const token = (await (await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'a long password' }) })).json()) as { access_token: string };

    // Half of a multipart upload, then the API dies while waiting for the rest.
    const boundary = 'vd-boundary';
    const video = readFileSync(mediaPath('friday.mp4'));
    const upload = request(`${base}/videos`, { method: 'POST', headers: { authorization: `Bearer ${token.access_token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    upload.on('error', () => undefined);
    upload.write(`--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="friday.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
    upload.write(video.subarray(0, video.length / 2));
    const incoming = path.join(env.storageDir, INCOMING_DIR);
    for (const deadline = Date.now() + 10_000; filesUnder(env.storageDir).length === 0; await sleep(50)) assert.ok(Date.now() < deadline, 'the upload reached the disk');
    api.kill('SIGKILL');
    await new Promise((r) => api.once('exit', r));
    upload.destroy();
    const orphans = filesUnder(env.storageDir);
    assert.equal(orphans.length, 1);
    assert.ok(orphans[0]!.startsWith(`${INCOMING_DIR}/`), `a partial upload stays in ${INCOMING_DIR}/, never among the videos: ${orphans[0]}`);

    // Idle for UPLOAD_IDLE_SECONDS (1 s here): the next API to start sweeps it.
    await sleep(1200);
    await startApi();
    for (const deadline = Date.now() + 5000; filesUnder(env.storageDir).length > 0; await sleep(100)) assert.ok(Date.now() < deadline, `still there: ${filesUnder(env.storageDir).join(', ')}`);
    assert.deepEqual(readdirSync(incoming), []);
  });
});
