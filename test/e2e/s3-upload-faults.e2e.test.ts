import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { serviceNodeArgs } from '@video-detect/shared';
import { freePort } from '../helpers/private-redis.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { createTestEnv, mediaPath, repoRoot, type TestEnv } from '../helpers/test-env.js';

/** Seconds an upload may stay idle before any API's sweep removes it. */
const IDLE_SECONDS = 5;

/**
 * STORAGE=s3, several API replicas as real processes on moto's S3: an API killed mid-upload (an
 * unfinished multipart upload) or after its object is complete but before its video is recorded
 * (an object under the incoming prefix) leaves an orphan that the replicas' sweep removes once
 * idle for UPLOAD_IDLE_SECONDS, while a video recorded meanwhile by another replica keeps its object.
 */
describe('STORAGE=s3: an API killed during an upload leaves no orphan', () => {
  let s3: TestS3;
  let env: TestEnv;
  const running: ChildProcess[] = [];
  /** The API processes' output, for failure messages. */
  let log = '';

  async function startApi(vars: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
    const port = await freePort();
    const child = spawn(process.execPath, serviceNodeArgs('api', repoRoot), { env: { ...process.env, ...vars, PORT: String(port), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const base = `http://127.0.0.1:${port}/api/v1`;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) return { child, base };
    }
    throw new Error('the API did not start');
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a multipart/form-data upload of `bytes` to `base`; the request is left open when `finish` is false. */
  function startUpload(base: string, token: string, name: string, bytes: Buffer, finish: boolean): ReturnType<typeof request> {
    const boundary = 'vd-boundary';
    const req = request(`${base}/videos`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    req.on('error', () => undefined);
    req.on('response', (res) => {
      log += `\n${name}: answered ${res.statusCode}\n`;
      res.on('data', (d: Buffer) => (log += d.toString()));
    });
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="${name}"\r\nContent-Type: video/mp4\r\n\r\n`);
    req.write(bytes);
    if (finish) req.end(`\r\n--${boundary}--\r\n`);
    return req;
  }

  before(async () => {
    s3 = await startTestS3();
    env = createTestEnv({ ...s3.vars, UPLOAD_IDLE_SECONDS: String(IDLE_SECONDS) });
  });
  after(async () => {
    for (const child of running) child.kill('SIGKILL');
    await env?.cleanup();
    await s3?.close();
  });

  it('removes the unfinished multipart upload and the unrecorded object once idle, and keeps a video recorded meanwhile', { timeout: 120_000 }, async () => {
    // A is killed (twice), each time behind its own proxy to the store; replica B records a video meanwhile.
    // A sweeps only at start-up (idle 60 s): moto dates every multipart upload 2010, so a sweep between
    // its creation and its first part would take a live upload for an idle one.
    const aVars = { ...env.vars, UPLOAD_IDLE_SECONDS: '60' };
    const a1Store = await s3.newProxy();
    const a1 = await startApi({ ...aVars, S3_ENDPOINT: a1Store.endpoint });
    const user = { username: 's3-killed-upload', password: 'a long password' };
    const json = { 'content-type': 'application/json' };
    await fetch(`${a1.base}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(user) });
    const token = ((await (await fetch(`${a1.base}/auth/token`, { method: 'POST', headers: json, body: JSON.stringify(user) })).json()) as { access_token: string }).access_token;
    const incoming = `.incoming/`;

    // 1. Killed mid-upload: 6 MiB received (more than one 5 MiB part), the rest never comes.
    const filler = Buffer.alloc(6 * 1024 ** 2, readFileSync(mediaPath('friday.mp4')));
    const stalled = startUpload(a1.base, token, 'stalled.mp4', filler, false);
    const partsStored = async () => {
      const [upload] = (await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }))).Uploads ?? [];
      return upload ? ((await s3.client.send(new ListPartsCommand({ Bucket: s3.bucket, Key: upload.Key, UploadId: upload.UploadId }))).Parts ?? []).length : 0;
    };
    for (const deadline = Date.now() + 20_000; (await partsStored()) === 0; await sleep(50)) {
      assert.ok(Date.now() < deadline, `a part stored\n${a1Store.proxy.requests.join('\n')}\n${log}`);
    }
    await kill(a1.child);
    stalled.destroy();
    assert.equal(await s3.pendingUploads(), 1, 'the dead API left its multipart upload unfinished');
    assert.deepEqual(await s3.keys(), [], 'and no object');
    const b = await startApi(env.vars);

    // 2. Killed after the object is complete, before the video is recorded: the API is held at its
    //    first request about the finished incoming object (the probe's HEAD) and killed there.
    const a2Store = await s3.newProxy();
    const held = a2Store.proxy.holdFrom(`HEAD /${s3.bucket}/`);
    const a2 = await startApi({ ...aVars, S3_ENDPOINT: a2Store.endpoint });
    const orphanUpload = startUpload(a2.base, token, 'orphan.mp4', readFileSync(mediaPath('friday.mp4')), true);
    await held;
    const [orphanKey] = await s3.keys();
    assert.ok(orphanKey?.startsWith(incoming), `the complete upload waits under ${incoming}: ${orphanKey}`);
    // Meanwhile replica B receives and records another video.
    const form = new FormData();
    form.append('video', new Blob([readFileSync(mediaPath('iphone_rotated.mov'))]), 'kept.mov');
    const recorded = await fetch(`${b.base}/videos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    assert.equal(recorded.status, 202, await recorded.clone().text());
    const keptKey = `${((await recorded.json()) as { id: string }).id}.mov`;
    await kill(a2.child);
    orphanUpload.destroy();
    assert.deepEqual((await s3.keys()).sort(), [orphanKey, keptKey].sort(), 'the orphan beside the recorded video');

    // 3. A restarted replica (and B) sweep: once idle for UPLOAD_IDLE_SECONDS both orphans are gone.
    await startApi(env.vars);
    for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
      const [keys, pending] = await Promise.all([s3.keys(), s3.pendingUploads()]);
      if (pending === 0 && keys.length === 1) break;
      assert.ok(Date.now() < deadline, `still there: ${keys.join(', ')}; ${pending} unfinished upload(s)`);
    }
    assert.deepEqual(await s3.keys(), [keptKey], 'the recorded video keeps its object');
    const listed = (await (await fetch(`${b.base}/videos`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { id: string; status: string }[] };
    assert.deepEqual(
      listed.items.map((v) => `${v.id}.mov`),
      [keptKey],
      'only the recorded video is listed',
    );
    const file = await fetch(`${b.base}/videos/${keptKey.replace('.mov', '')}/file`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(file.status, 200, 'and its file is served');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), readFileSync(mediaPath('iphone_rotated.mov')));
  });
});
