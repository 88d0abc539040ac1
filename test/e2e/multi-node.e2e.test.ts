import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis, JobProducer, loadConfig, QueueName, serviceNodeArgs, type FrameResult, type ServiceName } from '@video-detect/shared';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { TestStack, type VideoBody } from '../helpers/stack.js';
import { deleteKeys, mediaPath, modelPath, repoRoot, testRedisUrl } from '../helpers/test-env.js';

/**
 * Every container and shape in ../shared/media (MP4, QuickTime with rotation, WebM/VP9); the two
 * long MP4s add minutes of decoding here and nothing the car video does not already cover.
 */
const media = ['friday.mp4', 'iphone_rotated.mov', 'flower.webm', 'car-detection.mp4'];
/** Both runs analyse the same frames: two a second keeps the test lean, and 32-frame chunks give both detectors work. */
const fields = { sample_fps: '2' };
const jobSettings = { CHUNK_FRAMES: '32', DETECTOR_INTRA_OP_THREADS: '1' };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One "node": a service process with its own empty working folder as cwd and VIDEO_STORAGE_DIR. */
class Node {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'vd-node-'));
  readonly child: ChildProcess;
  log = '';

  constructor(
    readonly service: ServiceName,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, serviceNodeArgs(service, repoRoot), {
      cwd: this.dir,
      env: { ...process.env, ...env, VIDEO_STORAGE_DIR: this.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Several hosts sharing nothing but Redis and a bucket: the API, the processor and two detectors
 * as separate processes, each with its own empty local folder and STORAGE=s3, process the shared
 * media exactly as one host with STORAGE=local does. Meanwhile the store goes away for a few
 * seconds: the chunks that meet the outage are retried and the videos complete.
 */
describe('multi-node: API, processor and two detectors on STORAGE=s3, nothing shared on disk', () => {
  let s3: TestS3;
  let local: TestStack;
  const nodes: Node[] = [];
  const prefix = `t-${randomUUID()}`;
  let base = '';
  let auth = '';

  before(async () => {
    s3 = await startTestS3();
    const port = await freePort();
    const env = {
      ...s3.vars,
      ...jobSettings,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: prefix,
      MODEL_PATH: process.env.MODEL_PATH ?? modelPath(),
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
      PORT: String(port),
      // Enough tries with short waits to ride out the outage below.
      CHUNK_ATTEMPTS: '8',
      CHUNK_BACKOFF_MS: '300',
    };
    nodes.push(new Node('api', env), new Node('processor', env), new Node('detector', env), new Node('detector', env));
    base = `http://127.0.0.1:${port}`;
    const [started, ready] = await Promise.allSettled([
      TestStack.start(jobSettings),
      (async () => {
        for (const deadline = Date.now() + 90_000; ; await sleep(200)) {
          if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
          assert.ok(Date.now() < deadline, `the API node did not start: ${nodes[0]!.log}`);
        }
      })(),
    ]);
    // Kept even when the other failed, so after() stops it.
    if (started.status === 'fulfilled') local = started.value;
    for (const outcome of [started, ready]) if (outcome.status === 'rejected') throw outcome.reason;
    local.spawnService('processor');
    local.spawnService('detector');
    const user = { username: 'multi-node', password: 'a long password' };
    await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    const token = (await (await fetch(`${base}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })).json()) as { access_token: string };
    auth = `Bearer ${token.access_token}`;
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await local?.stop();
    await s3?.close();
    await deleteKeys(testRedisUrl, `${prefix}:*`);
  });

  const remote = async <T>(p: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${base}${p}`, { ...init, headers: { authorization: auth, ...init?.headers } });
    assert.ok(res.ok, `${p}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const remoteFrames = async (id: string): Promise<FrameResult[]> => {
    const frames: FrameResult[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const page: { frames: FrameResult[]; next_offset: number | null } = await remote(`/api/v1/videos/${id}/detections?offset=${offset}&limit=400`);
      frames.push(...page.frames);
      offset = page.next_offset;
    }
    return frames;
  };

  it('completes the shared media as one host does, through a store outage', { timeout: 240_000 }, async () => {
    const uploaded: Record<string, string> = {};
    for (const name of media) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('video', new Blob([readFileSync(mediaPath(name))]), name);
      uploaded[name] = (await remote<VideoBody>('/api/v1/videos', { method: 'POST', body: form })).id;
    }
    const localIds = await Promise.all(media.map(async (name) => [name, (await local.upload(mediaPath(name), fields)).id] as const));

    // The store goes away once the detectors are at work, and comes back 3 s later.
    const someDone = async () => (await Promise.all(Object.values(uploaded).map((id) => remote<VideoBody>(`/api/v1/videos/${id}`)))).some((v) => v.progress.chunks_done > 0);
    for (const deadline = Date.now() + 60_000; !(await someDone()); await sleep(100)) assert.ok(Date.now() < deadline, 'no chunk done');
    s3.proxy.down();
    await sleep(3000);
    s3.proxy.up();
    assert.ok(s3.proxy.refused > 0, 'the outage met requests');

    const wait = async (get: () => Promise<VideoBody>) => {
      for (const deadline = Date.now() + 200_000; ; await sleep(300)) {
        const v = await get();
        if (v.status !== 'queued' && v.status !== 'processing') return v;
        assert.ok(Date.now() < deadline, `still ${v.status}`);
      }
    };
    for (const [name, localId] of localIds) {
      const [there, here] = await Promise.all([wait(() => remote(`/api/v1/videos/${uploaded[name]}`)), local.waitForEnd(localId, 200_000)]);
      assert.equal(there.status, 'completed', `${name} on the nodes: ${JSON.stringify(there.error)}\n${nodes.map((n) => n.log).join('\n')}`);
      assert.equal(here.status, 'completed', `${name} on one host`);
      assert.deepEqual(there.video, here.video, `${name}: the same probe`);
      assert.deepEqual(there.summary, here.summary, `${name}: the same summary`);
      const [a, b] = await Promise.all([remoteFrames(uploaded[name]!), local.allFrames(localId)]);
      assert.ok(a.length > 0);
      assert.deepEqual(a, b, `${name}: the same detections frame by frame`);
    }

    // Some chunk met the outage and ran again; every node's folder is still empty.
    const config = loadConfig({ REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix });
    const redis = createRedis(testRedisUrl, 'request');
    const jobs = new JobProducer(config, redis);
    try {
      const done = await jobs.queues[QueueName.Detector].getCompleted(0, 1000);
      assert.ok(done.length > 0);
      assert.ok(done.some((job) => job.attemptsMade > 1), `a chunk was retried: ${done.map((j) => j.attemptsMade).join(',')}`);
    } finally {
      await jobs.close();
      redis.disconnect();
    }
    for (const node of nodes) assert.deepEqual(readdirSync(node.dir), [], `${node.service} wrote nothing locally`);
  });
});
