import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath } from '../helpers/test-env.js';

/**
 * Idempotency-Key on the POSTs that start work, through the real API and Redis: the same key and
 * request answers the first response and stores nothing twice; another request with the key is
 * 422; while the first still runs, 409; keys are per user.
 */
describe('Idempotency-Key', () => {
  let api: TestApi;
  // A listening server, as in production (supertest's own closes once it has answered, under an upload still being sent).
  let server: Server;
  let port = 0;
  const http = () => supertest(`http://127.0.0.1:${port}`);
  let alice: { authorization: string; userId: string };
  let bob: string;
  const files = () => readdirSync(api.env.storageDir).length;
  const videoCount = async (auth: string) => (await http().get('/api/v1/videos?limit=100').set('authorization', auth).expect(200)).body.items.length as number;
  const upload = (auth: string, key: string | null, file = 'friday.mp4', fields: Record<string, string> = {}) => {
    const req = http().post('/api/v1/videos').set('authorization', auth);
    if (key !== null) req.set('Idempotency-Key', key);
    for (const [k, v] of Object.entries(fields)) req.field(k, v);
    return req.attach('video', mediaPath(file));
  };

  before(async () => {
    api = await startTestApi({ WEBHOOK_ALLOWED_ADDRESSES: '127.0.0.1' });
    server = api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    alice = await api.login('alice');
    bob = (await api.login('bob')).authorization;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await api.close();
  });

  it('the same key and upload answers the first response again: one video, one stored file, one job', async () => {
    const [filesBefore, videosBefore] = [files(), await videoCount(alice.authorization)];
    const first = await upload(alice.authorization, 'upload-1').expect(202);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await upload(alice.authorization, '"upload-1"').expect(202);
    assert.deepEqual(again.body, first.body, 'the stored first response (the key may be sent as a quoted string)');
    assert.equal(again.headers.location, first.headers.location);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(files(), filesBefore + 1, "the second upload's bytes were discarded");
    assert.equal(await videoCount(alice.authorization), videosBefore + 1);
    assert.equal(await api.ctx.jobs.queues.processor.count(), videosBefore + 1, 'one plan job');
  });

  it('the same key with another request answers 422 and keeps nothing', async () => {
    await upload(alice.authorization, 'upload-2').expect(202);
    const [filesBefore, videosBefore] = [files(), await videoCount(alice.authorization)];
    const otherFile = await upload(alice.authorization, 'upload-2', 'iphone_rotated.mov').expect(422);
    assertError(otherFile.body, 'idempotency_key_reused');
    assertError((await upload(alice.authorization, 'upload-2', 'friday.mp4', { sample_fps: '2' }).expect(422)).body, 'idempotency_key_reused');
    const otherRoute = await http().post('/api/v1/webhooks').set('authorization', alice.authorization).set('Idempotency-Key', 'upload-2').send({ url: 'http://127.0.0.1:9/x', event_types: ['video.failed'] });
    assert.equal(otherRoute.status, 422);
    assert.deepEqual([files(), await videoCount(alice.authorization)], [filesBefore, videosBefore]);
    assert.equal((await http().get('/api/v1/webhooks').set('authorization', alice.authorization).expect(200)).body.items.length, 0);
  });

  it('keys are per user', async () => {
    const mine = await upload(alice.authorization, 'shared-key').expect(202);
    const theirs = await upload(bob, 'shared-key').expect(202);
    assert.notEqual(theirs.body.id, mine.body.id);
    assert.equal(theirs.headers['idempotent-replayed'], undefined);
  });

  it('a key that is empty, too long or not visible ASCII is 400 naming Idempotency-Key, and nothing is stored', async () => {
    const before = files();
    for (const key of ['', 'k'.repeat(256), 'key\twith tab', 'clé']) {
      const res = await upload(alice.authorization, key);
      assert.equal(res.status, 400, JSON.stringify(key));
      assertError(res.body, 'invalid_request');
      assert.match(res.body.error.message, /Idempotency-Key: 1 to 255 visible ASCII characters/);
    }
    await upload(alice.authorization, 'k'.repeat(255)).expect(202);
    assert.equal(files(), before + 1);
  });

  it('a request still running with the key answers 409 (its upload dropped); the first then completes', async () => {
    {
      const boundary = 'idempotency-test-boundary';
      const video = readFileSync(mediaPath('flower.webm'));
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="flower.webm"\r\nContent-Type: video/webm\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      let answer = '';
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = new Promise<number>((resolve, reject) => {
        const req = request(
          { port, host: '127.0.0.1', method: 'POST', path: '/api/v1/videos', headers: { authorization: alice.authorization, 'idempotency-key': 'slow-upload', 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + video.length + tail.length } },
          (res) => {
            res.on('data', (d: Buffer) => (answer += d.toString()));
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write(Buffer.concat([head, video.subarray(0, 1000)]));
        // The rest is sent once the duplicate has been answered.
        void held.then(() => req.end(Buffer.concat([video.subarray(1000), tail])));
      });
      const key = api.ctx.keys.idempotency(alice.userId, createHash('sha256').update('slow-upload').digest('hex'));
      for (const deadline = Date.now() + 5000; (await api.ctx.redis.exists(key)) === 0; await sleep(20)) assert.ok(Date.now() < deadline, 'the first request holds the key');
      const duplicate = await upload(alice.authorization, 'slow-upload', 'flower.webm').expect(409);
      assertError(duplicate.body, 'idempotency_key_in_use');
      release();
      assert.equal(await first, 202, answer);
      const replay = await upload(alice.authorization, 'slow-upload', 'flower.webm').expect(202);
      assert.equal(replay.body.id, (JSON.parse(answer) as { id: string }).id);
    }
  });

  it('two identical uploads sent at once with one key create one video', async () => {
    const [filesBefore, videosBefore] = [files(), await videoCount(alice.authorization)];
    const answers = await Promise.all([upload(alice.authorization, 'together'), upload(alice.authorization, 'together')]);
    const statuses = answers.map((a) => a.status).sort();
    assert.ok(statuses[0] === 202 && (statuses[1] === 202 || statuses[1] === 409), `got ${statuses.join(', ')}`);
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.id as string));
    assert.equal(ids.size, 1);
    assert.deepEqual([files(), await videoCount(alice.authorization)], [filesBefore + 1, videosBefore + 1]);
  });

  it('a request that fails frees its key: the corrected request runs', async () => {
    const bad = await upload(alice.authorization, 'fix-me', 'friday.mp4', { sample_fps: '0' }).expect(400);
    assert.match(bad.body.error.message, /sample_fps/);
    const good = await upload(alice.authorization, 'fix-me').expect(202);
    assert.equal(good.headers['idempotent-replayed'], undefined);
  });

  it('JSON POSTs too: one webhook endpoint for one key, its first response (secret included) answered again', async () => {
    const body = { url: 'http://127.0.0.1:9/hook', event_types: ['video.completed'] };
    const send = () => http().post('/api/v1/webhooks').set('authorization', bob).set('Idempotency-Key', 'hook-1');
    const first = await send().send(body).expect(201);
    const again = await send().send(body).expect(201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assertError((await send().send({ ...body, event_types: ['video.failed'] }).expect(422)).body, 'idempotency_key_reused');
    assert.equal((await http().get('/api/v1/webhooks').set('authorization', bob).expect(200)).body.items.length, 1);
  });
});
