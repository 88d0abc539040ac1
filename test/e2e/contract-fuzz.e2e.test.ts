import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { FuzzSession } from '../helpers/contract-fuzz/fuzz-session.js';
import { FuzzState } from '../helpers/contract-fuzz/fuzz-state.js';
import { operationsOf, type OpenApiDocument } from '../helpers/contract-fuzz/openapi-types.js';
import { RequestArbitrary } from '../helpers/contract-fuzz/request-arbitrary.js';
import { TestStack } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

/** Requests per run: about a minute on the CI machine. FUZZ_RUNS=20000 for a longer hunt, FUZZ_SEED for another sequence, FUZZ_DEBUG=<operation> to print its requests (docs/security.md). */
const runs = Number(process.env.FUZZ_RUNS ?? 2000);
const seed = Number(process.env.FUZZ_SEED ?? 20261127);

/**
 * Contract fuzzing: requests generated with fast-check from the served openapi.json, for every
 * operation it declares, sent to the running API (real Redis, processor and detector) as a user,
 * as another user and without a valid token. Every response must keep the documented contract
 * (ajv against the document) and the rules that follow from the request (`FuzzSession.problems`).
 */
describe('contract fuzzing from openapi.json', () => {
  let stack: TestStack;
  let server: Server;
  let session: FuzzSession;
  let doc: OpenApiDocument;
  let dir: string;

  before(async () => {
    // No limits in the way: thousands of requests from one address, many failed logins for the seeded users.
    stack = await TestStack.start({ RATE_LIMIT_MAX: '1000000', AUTH_RATE_LIMIT_MAX: '1000000', LOGIN_SLOWDOWN_AFTER: '1000000' });
    stack.spawnService('processor');
    stack.spawnService('detector');
    server = stack.api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument;

    dir = mkdtempSync(path.join(tmpdir(), 'vd-fuzz-'));
    const videoFile = path.join(dir, 'clip.mp4');
    // Not execFileSync: a blocked event loop lets the server drop a keep-alive socket that fetch then reuses.
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=5', '-t', '1', '-pix_fmt', 'yuv420p', videoFile]);
    const junkFile = path.join(dir, 'junk.mp4');
    writeFileSync(junkFile, randomBytes(2048));

    const state = new FuzzState();
    // Webhook receivers: a public address (accepted, never reached: deliveries fail in the background), and refused ones.
    for (const url of ['https://93.184.215.14/hook', 'http://127.0.0.1:9/x', 'http://169.254.169.254/latest']) state.addValue('url', url);
    session = new FuzzSession({ baseUrl, doc, state, jwtSecret: stack.api.env.vars.JWT_SECRET!, videoFile, junkFile });
    await session.signIn('owner', 'fuzz-owner', 'owner password 1');
    await session.signIn('other', 'fuzz-other', 'other password 1');

    // A completed video of the owner, never deleted, so the reads reach their success paths; one of the other user's.
    const owned = await stack.api.http().post('/api/v1/videos').set('authorization', `Bearer ${await tokenOf('fuzz-owner', 'owner password 1')}`).field('sample_fps', '2').attach('video', mediaPath('friday.mp4')).expect(202);
    const theirs = await stack.api.http().post('/api/v1/videos').set('authorization', `Bearer ${await tokenOf('fuzz-other', 'other password 1')}`).attach('video', videoFile).expect(202);
    state.addId('videos', { value: owned.body.id as string, owner: 'owner', kept: true });
    state.addId('videos', { value: theirs.body.id as string, owner: 'other', kept: false });
    stack.authorization = `Bearer ${await tokenOf('fuzz-owner', 'owner password 1')}`;
    const completed = await stack.waitForEnd(owned.body.id as string, 120_000);
    assert.equal(completed.status, 'completed', JSON.stringify(completed.error));
    const tracks = await stack.api.http().get(`/api/v1/videos/${owned.body.id as string}/tracks`).set('authorization', stack.authorization).expect(200);
    for (const track of tracks.body.items as { id: number }[]) state.addId('tracks', { value: String(track.id), owner: 'owner', kept: true });

    async function tokenOf(username: string, password: string): Promise<string> {
      return ((await stack.api.http().post('/api/v1/auth/token').send({ username, password }).expect(200)).body as { access_token: string }).access_token;
    }
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps the documented contract over ${runs} generated requests (seed ${seed})`, async (t) => {
    const operations = operationsOf(doc);
    assert.ok(operations.length >= 20, `the document declares ${operations.length} operations`);
    const requests = new RequestArbitrary(doc, session.state);
    // Auth operations run the password KDF (~100 ms each): fewer of them, so the run covers the rest in its time.
    const anyRequest = fc.oneof(...operations.map((entry) => ({ weight: entry.operation.tags?.includes('auth') ? 1 : 4, arbitrary: requests.for(entry) })));
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(anyRequest, async (req) => {
        const res = await session.send(req);
        const problems = session.problems(req, res);
        assert.deepEqual(problems, [], `${req.caller}: ${req.entry.method.toUpperCase()} ${req.path} ${JSON.stringify(req.query)} → ${res.status} ${res.bodyText.slice(0, 300)}`);
      }),
      { seed, numRuns: runs, includeErrorInReport: true, interruptAfterTimeLimit: 10 * 60_000 },
    );
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`${runs} requests in ${seconds.toFixed(1)} s (${Math.round(runs / seconds)}/s); by operation, the answers and the time spent:`);
    for (const [name, byStatus] of [...session.stats].sort(([a], [b]) => a.localeCompare(b))) {
      const answers = [...byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
      t.diagnostic(`${name}: ${answers.join(' ')} (${((session.time.get(name) ?? 0) / 1000).toFixed(1)} s)`);
    }
    // Every declared operation was exercised, and most reached a success answer.
    const missed = operations.filter((entry) => !session.stats.has(entry.name)).map((entry) => entry.name);
    assert.deepEqual(missed, [], 'operations never requested');
  });
});
