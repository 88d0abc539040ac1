import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { createLogger, VideoStatus, type DeliveryAttempt } from '@video-detect/shared';
import { startProcessor, type RunningProcessor } from '../../services/processor/src/index.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { repoRoot } from '../helpers/test-env.js';
import { queuedRecord } from '../helpers/video-records.js';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver.js';

const silent = createLogger('test', 'silent');

/** Verified with the standardwebhooks package (not our signing code): throws unless a signature matches and the timestamp is recent. */
function verify(secret: string, request: ReceivedRequest): { type: string; timestamp: string; data: Record<string, unknown> } {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
  return new Webhook(secret).verify(request.body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A fenced block of docs/integrations.md by its info string (```js verify-webhook). */
function docsSnippet(info: string): string {
  const docs = readFileSync(path.join(repoRoot, 'docs/integrations.md'), 'utf8');
  const block = new RegExp('```' + info + '\\n([\\s\\S]*?)```').exec(docs)?.[1];
  assert.ok(block, `docs/integrations.md has a \`\`\`${info} block`);
  return block;
}

/** Runs the docs' Node and Python verification snippets, as written, on one delivery; what each printed, or why it refused. */
function verifyWithDocsSnippets(secret: string, request: ReceivedRequest): { node: string; python: string } {
  const input = JSON.stringify({ secret, body: request.body, headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])) });
  const node = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `${docsSnippet('js verify-webhook')}\nimport { readFileSync } from 'node:fs';\nconst i = JSON.parse(readFileSync(0, 'utf8'));\ntry { console.log(verifyWebhook(i.secret, i.body, i.headers).type); } catch (e) { console.log('refused: ' + e.message); }`],
    { cwd: repoRoot, input, encoding: 'utf8' },
  );
  const python = spawnSync(
    'python3',
    ['-c', `${docsSnippet('python verify-webhook')}\nimport sys\ni = json.load(sys.stdin)\ntry:\n    print(verify_webhook(i["secret"], i["body"].encode(), i["headers"])["type"])\nexcept ValueError as e:\n    print("refused: " + str(e))`],
    { input, encoding: 'utf8' },
  );
  assert.equal(node.status, 0, node.stderr);
  assert.equal(python.status, 0, python.stderr);
  return { node: node.stdout.trim(), python: python.stdout.trim() };
}

/**
 * Webhooks through the real API, processor (outbox dispatcher and `deliver` worker), Redis and a
 * real HTTP receiver on 127.0.0.1, which this test's config allows (WEBHOOK_ALLOWED_ADDRESSES).
 * Videos end through VideoStore.finish, the one path every service ends them by.
 */
describe('webhooks', () => {
  let api: TestApi;
  let processor: RunningProcessor;
  let receiver: WebhookReceiver;
  let auth: string;
  let userId: string;

  before(async () => {
    api = await startTestApi({ WEBHOOK_ALLOWED_ADDRESSES: '127.0.0.1', WEBHOOK_BACKOFF_MS: '200', WEBHOOK_ATTEMPTS: '6', WEBHOOK_TIMEOUT_MS: '500' });
    processor = await startProcessor(api.env.config, silent);
    receiver = await WebhookReceiver.start();
    ({ authorization: auth, userId } = await api.login('hooked'));
  });
  after(async () => {
    await processor.close();
    await receiver.stop();
    await api.close();
  });

  const register = async (path: string, eventTypes: string[], target = receiver) => {
    const res = await api.http().post('/api/v1/webhooks').set('authorization', auth).send({ url: target.url(path), event_types: eventTypes }).expect(201);
    return res.body as { id: string; secret: string };
  };
  const endVideo = async (status: 'completed' | 'failed' | 'cancelled') => {
    const record = queuedRecord(userId, { client_tag: 'hook-test' });
    await api.ctx.videos.create(record);
    const outcome =
      status === 'completed'
        ? { status: VideoStatus.Completed, summary: { person: { frames: 3, max_score: 0.9 } } }
        : status === 'failed'
          ? { status: VideoStatus.Failed, error: { code: 'chunk_failed', message: 'chunk 0 failed' } }
          : { status: VideoStatus.Cancelled };
    assert.equal(await api.ctx.videos.finish(record.id, outcome), true);
    return record.id;
  };
  const deliveries = async (endpointId: string): Promise<DeliveryAttempt[]> =>
    ((await api.http().get(`/api/v1/webhooks/${endpointId}/deliveries?limit=100`).set('authorization', auth).expect(200)).body as { items: DeliveryAttempt[] }).items;
  const waitForLog = async (endpointId: string, what: string, done: (log: DeliveryAttempt[]) => boolean) => {
    for (const deadline = Date.now() + 15_000; ; await sleep(50)) {
      const log = await deliveries(endpointId);
      if (done(log)) return log;
      assert.ok(Date.now() < deadline, `still waiting for ${what}: ${JSON.stringify(log)}`);
    }
  };

  it('registers an endpoint: 201 with the secret once; reads and lists without it; another user gets 404', async () => {
    const res = await api
      .http()
      .post('/api/v1/webhooks')
      .set('authorization', auth)
      .send({ url: receiver.url('/crud'), event_types: ['video.completed'], description: 'ops' })
      .expect(201);
    assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    assert.equal(res.headers.location, `/api/v1/webhooks/${res.body.id}`);
    assert.deepEqual(
      { ...res.body, id: undefined, secret: undefined, created_at: undefined, links: undefined },
      { id: undefined, secret: undefined, created_at: undefined, links: undefined, url: receiver.url('/crud'), event_types: ['video.completed'], description: 'ops', status: 'enabled', disabled_at: null, disabled_reason: null, failing_since: null },
    );
    const got = await api.http().get(`/api/v1/webhooks/${res.body.id}`).set('authorization', auth).expect(200);
    assert.equal(got.body.secret, undefined, 'the secret is shown only at creation');
    const list = await api.http().get('/api/v1/webhooks').set('authorization', auth).expect(200);
    assert.ok(list.body.items.some((e: { id: string; secret?: string }) => e.id === res.body.id && e.secret === undefined));
    const other = (await api.login('other-hooker')).authorization;
    for (const path of [`/api/v1/webhooks/${res.body.id}`, `/api/v1/webhooks/${res.body.id}/deliveries`]) {
      assertError((await api.http().get(path).set('authorization', other).expect(404)).body, 'webhook_not_found');
    }
    await api.http().delete(`/api/v1/webhooks/${res.body.id}`).set('authorization', other).expect(404);
    await api.http().delete(`/api/v1/webhooks/${res.body.id}`).set('authorization', auth).expect(204);
    await api.http().get(`/api/v1/webhooks/${res.body.id}`).set('authorization', auth).expect(404);
  });

  it('answers 400 naming the field for a URL that is not http(s), too long or a forbidden address, or an unknown event type; stores nothing', async () => {
    const before = (await api.http().get('/api/v1/webhooks').set('authorization', auth).expect(200)).body.items.length;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ url: 'ftp://example.com/hook', event_types: ['video.completed'] }, /url: must be an http or https URL/],
      [{ url: 'not a url', event_types: ['video.completed'] }, /url: must be an http or https URL/],
      [{ url: `https://example.com/${'a'.repeat(2048)}`, event_types: ['video.completed'] }, /url: .*2048/],
      [{ url: 'http://169.254.169.254/latest/meta-data/', event_types: ['video.completed'] }, /url: "169\.254\.169\.254" is a loopback, private, link-local or reserved address/],
      [{ url: 'http://10.1.2.3:8080/hook', event_types: ['video.completed'] }, /url: "10\.1\.2\.3" is a loopback/],
      [{ url: 'http://[::1]:8080/hook', event_types: ['video.completed'] }, /url: "::1" is a loopback/],
      [{ url: 'https://user:secret@example.com/hook', event_types: ['video.completed'] }, /url: must not contain a user name or password/],
      [{ url: receiver.url('/x'), event_types: ['video.exploded'] }, /event_types\.0: /],
      [{ url: receiver.url('/x'), event_types: [] }, /event_types: /],
      [{ url: receiver.url('/x'), event_types: ['video.failed', 'video.failed'] }, /event_types: each type at most once/],
      [{ url: receiver.url('/x') }, /event_types: /],
    ];
    for (const [body, message] of cases) {
      const res = await api.http().post('/api/v1/webhooks').set('authorization', auth).send(body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 100));
      assertError(res.body, 'invalid_request');
      assert.match(res.body.error.message, message);
    }
    assert.equal((await api.http().get('/api/v1/webhooks').set('authorization', auth).expect(200)).body.items.length, before);
  });

  it('accepts a metadata or loopback address the operator allows (WEBHOOK_ALLOWED_ADDRESSES)', async () => {
    const onPrem = await startTestApi({ WEBHOOK_ALLOWED_ADDRESSES: '169.254.169.254,127.0.0.0/8' });
    try {
      const admin = (await onPrem.login('onprem')).authorization;
      for (const url of ['http://169.254.169.254/hook', 'http://127.0.0.9:9/hook']) {
        await onPrem.http().post('/api/v1/webhooks').set('authorization', admin).send({ url, event_types: ['video.failed'] }).expect(201);
      }
    } finally {
      await onPrem.close();
    }
  });

  it('delivers each event once per subscribed endpoint, signed per Standard Webhooks, carrying the video resource', async () => {
    const a = await register('/a', ['video.completed', 'video.failed']);
    const b = await register('/b', ['video.failed']);
    const completed = await endVideo('completed');
    await receiver.waitFor('the completed event at /a', () => receiver.requestsTo('/a').length === 1);
    const first = verify(a.secret, receiver.requestsTo('/a')[0]!);
    assert.equal(first.type, 'video.completed');
    assert.equal(first.data.id, completed);
    assert.equal(first.data.status, 'completed');
    assert.equal(first.data.client_tag, 'hook-test');
    assert.deepEqual(first.data.summary, { person: { frames: 3, max_score: 0.9 } });
    assert.equal((first.data.links as { self: string }).self, `/api/v1/videos/${completed}`);
    assert.match(String(receiver.requestsTo('/a')[0]!.headers['webhook-id']), /^evt_\d+-\d+$/);
    assert.throws(() => verify(b.secret, receiver.requestsTo('/a')[0]!), /No matching signature/, "another endpoint's secret does not verify it");

    const failed = await endVideo('failed');
    await receiver.waitFor('the failed event at /a and /b', () => receiver.requestsTo('/a').length === 2 && receiver.requestsTo('/b').length === 1);
    const toA = verify(a.secret, receiver.requestsTo('/a')[1]!);
    const toB = verify(b.secret, receiver.requestsTo('/b')[0]!);
    assert.deepEqual([toA.type, toB.type], ['video.failed', 'video.failed']);
    assert.deepEqual(toB.data.error, { code: 'chunk_failed', message: 'chunk 0 failed' });
    assert.equal(toA.data.id, failed);
    assert.equal(receiver.requestsTo('/b')[0]!.headers['webhook-id'], receiver.requestsTo('/a')[1]!.headers['webhook-id'], 'one message id per event');
    await endVideo('cancelled');
    await sleep(1000);
    assert.deepEqual([receiver.requestsTo('/a').length, receiver.requestsTo('/b').length], [2, 1], 'once each, and nothing unsubscribed');
    const log = await deliveries(a.id);
    assert.deepEqual(log.map((d) => [d.event_type, d.outcome, d.status_code, d.attempt]), [['video.failed', 'delivered', 200, 1], ['video.completed', 'delivered', 200, 1]]);
  });

  it('retries after a 500 and after a timeout, under the same webhook-id, and logs every attempt with its next retry', async () => {
    receiver.answer('/flaky', (n) => ({ status: n < 2 ? 500 : 204 }));
    receiver.answer('/slow', (n) => ({ status: 200, delayMs: n === 0 ? 1000 : 0 }));
    const flaky = await register('/flaky', ['video.completed']);
    const slow = await register('/slow', ['video.completed']);
    await endVideo('completed');
    const flakyLog = await waitForLog(flaky.id, 'three attempts', (log) => log[0]?.outcome === 'delivered');
    assert.deepEqual(flakyLog.map((d) => [d.attempt, d.outcome, d.status_code]), [[3, 'delivered', 204], [2, 'retrying', 500], [1, 'retrying', 500]]);
    for (const d of flakyLog.slice(1)) {
      const delay = Date.parse(d.next_retry_at ?? '') - Date.parse(d.at) - d.duration_ms;
      assert.equal(delay, 200 * 2 ** (d.attempt - 1), 'exponential backoff from WEBHOOK_BACKOFF_MS');
      assert.equal(d.error, 'the receiver answered 500');
    }
    const ids = new Set(receiver.requestsTo('/flaky').map((r) => r.headers['webhook-id']));
    assert.equal(ids.size, 1, 'every attempt carries the same webhook-id');
    verify(flaky.secret, receiver.requestsTo('/flaky')[2]!);

    const slowLog = await waitForLog(slow.id, 'a second attempt', (log) => log[0]?.outcome === 'delivered');
    assert.deepEqual(slowLog.map((d) => [d.attempt, d.outcome, d.status_code, d.error]), [[2, 'delivered', 200, null], [1, 'retrying', null, 'no answer within 500 ms']]);
  });

  it('delivers to a receiver that was down once it is back', async () => {
    const later = await WebhookReceiver.start();
    await later.stop();
    const hook = await register('/back', ['video.cancelled'], later);
    await endVideo('cancelled');
    const failures = await waitForLog(hook.id, 'two refused attempts', (log) => log.length >= 2);
    assert.ok(failures.every((d) => d.outcome === 'retrying' && d.status_code === null && /ECONNREFUSED/.test(d.error ?? '')), JSON.stringify(failures));
    await later.listen();
    try {
      await later.waitFor('the event after coming back', () => later.requestsTo('/back').length === 1, 20_000);
      assert.equal(verify(hook.secret, later.requestsTo('/back')[0]!).type, 'video.cancelled');
    } finally {
      await later.stop();
    }
  });

  it('disables an endpoint whose deliveries have failed for WEBHOOK_DISABLE_AFTER_DAYS, says why, and can enable it again', async () => {
    receiver.answer('/broken', () => ({ status: 503 }));
    const hook = await register('/broken', ['video.completed']);
    // Failing for six days already (the test does not wait five): the next failure disables it.
    await api.ctx.webhooks.update(hook.id, { failing_since: new Date(Date.now() - 6 * 24 * 3600_000).toISOString() });
    await endVideo('completed');
    const log = await waitForLog(hook.id, 'the failed attempt', (l) => l.length === 1);
    assert.deepEqual([log[0]?.outcome, log[0]?.status_code, log[0]?.next_retry_at], ['failed', 503, null]);
    const got = (await api.http().get(`/api/v1/webhooks/${hook.id}`).set('authorization', auth).expect(200)).body;
    assert.equal(got.status, 'disabled');
    assert.match(got.disabled_reason, /^every delivery since .+ failed \(5 days or more\); the last one: the receiver answered 503$/);
    await endVideo('completed');
    await sleep(800);
    assert.equal(receiver.requestsTo('/broken').length, 1, 'no retries, and no deliveries while disabled');
    assertError((await api.http().post(`/api/v1/webhooks/${hook.id}/test`).set('authorization', auth).expect(409)).body, 'webhook_disabled');
    const enabled = (await api.http().post(`/api/v1/webhooks/${hook.id}/enable`).set('authorization', auth).expect(200)).body;
    assert.deepEqual([enabled.status, enabled.disabled_reason, enabled.failing_since], ['enabled', null, null]);
  });

  it("sends a test event (docs/integrations.md's Node and Python snippets verify it, and refuse it tampered); after a secret rotation deliveries verify with the new secret and, for a while, the old one", async () => {
    const hook = await register('/test', ['video.completed']);
    const sent = (await api.http().post(`/api/v1/webhooks/${hook.id}/test`).set('authorization', auth).expect(202)).body;
    assert.equal(sent.event_type, 'webhook.test');
    await receiver.waitFor('the test event', () => receiver.requestsTo('/test').length === 1);
    const test = receiver.requestsTo('/test')[0]!;
    assert.equal(test.headers['webhook-id'], sent.message_id);
    assert.deepEqual(verify(hook.secret, test).data.webhook_id, hook.id);

    assert.deepEqual(verifyWithDocsSnippets(hook.secret, test), { node: 'webhook.test', python: 'webhook.test' }, "docs/integrations.md's snippets verify it");
    const tampered = { ...test, body: test.body.replace('webhook.test', 'webhook.tEst') };
    assert.deepEqual(verifyWithDocsSnippets(hook.secret, tampered), { node: 'refused: No matching signature found', python: 'refused: no matching signature' });

    const rotated = (await api.http().post(`/api/v1/webhooks/${hook.id}/rotate-secret`).set('authorization', auth).expect(200)).body;
    assert.notEqual(rotated.secret, hook.secret);
    await api.http().post(`/api/v1/webhooks/${hook.id}/test`).set('authorization', auth).expect(202);
    await receiver.waitFor('the second test event', () => receiver.requestsTo('/test').length === 2);
    const afterRotation = receiver.requestsTo('/test')[1]!;
    assert.equal(String(afterRotation.headers['webhook-signature']).split(' ').length, 2);
    assert.equal(verify(rotated.secret, afterRotation).type, 'webhook.test');
    assert.equal(verify(hook.secret, afterRotation).type, 'webhook.test');
    assert.deepEqual(verifyWithDocsSnippets(rotated.secret, afterRotation), { node: 'webhook.test', python: 'webhook.test' });
  });
});
