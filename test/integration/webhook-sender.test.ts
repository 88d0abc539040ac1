import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADDRESS_REFUSED, WebhookSender } from '../../services/processor/src/webhooks/webhook-sender.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const sender = (allowedAddresses: string[], timeoutMs = 2000) => new WebhookSender({ allowedAddresses, timeoutMs, userAgent: 'test' });

/**
 * The sender's connections go through request-filtering-agent, which checks the address a host
 * resolves to when it connects: a receiver that is really listening on 127.0.0.1 is refused unless
 * the allow-list names it, and the metadata address is refused before any connection is tried.
 */
describe('webhook sender: address checks at connection time', () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await WebhookReceiver.start();
    receiver.answer('/redirect', () => ({ status: 302 }));
    receiver.answer('/slow', () => ({ status: 200, delayMs: 1500 }));
  });
  after(async () => {
    await receiver.stop();
  });

  it('refuses a receiver on 127.0.0.1, by address or by a name resolving to it, unless allowed', async () => {
    const strict = sender([]);
    for (const host of ['127.0.0.1', 'localhost']) {
      const outcome = await strict.send(receiver.url('/hook', host), {}, '{}');
      assert.equal(outcome.ok, false, host);
      assert.equal(outcome.statusCode, null);
      assert.equal(outcome.error, ADDRESS_REFUSED, host);
    }
    assert.equal(receiver.requestsTo('/hook').length, 0, 'nothing reached the receiver');
    strict.close();

    const allowed = sender(['127.0.0.1']);
    const outcome = await allowed.send(receiver.url('/hook'), { 'webhook-id': 'evt_1' }, '{"a":1}');
    assert.deepEqual([outcome.ok, outcome.statusCode, outcome.error], [true, 200, null]);
    assert.equal(receiver.requestsTo('/hook')[0]?.body, '{"a":1}');
    assert.equal(receiver.requestsTo('/hook')[0]?.headers['content-type'], 'application/json');
    allowed.close();
  });

  // Allowing it is covered by the policy's unit test: this test never lets a request reach a real metadata service.
  it('refuses 169.254.169.254 (cloud metadata) without trying to connect', async () => {
    const strict = sender([]);
    const started = Date.now();
    const outcome = await strict.send('http://169.254.169.254/latest/meta-data/', {}, '{}');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error, ADDRESS_REFUSED);
    assert.ok(Date.now() - started < 1000, 'refused at once, not after a connection timeout');
    strict.close();
  });

  it('treats a redirect as a failure (never followed) and gives up on a slow receiver at the timeout', async () => {
    const s = sender(['127.0.0.1'], 500);
    const redirected = await s.send(receiver.url('/redirect'), {}, '{}');
    assert.deepEqual([redirected.ok, redirected.statusCode, redirected.error], [false, 302, 'the receiver answered 302']);
    const slow = await s.send(receiver.url('/slow'), {}, '{}');
    assert.deepEqual([slow.ok, slow.statusCode, slow.error], [false, null, 'no answer within 500 ms']);
    assert.ok(slow.durationMs >= 450 && slow.durationMs < 1400, `stopped at the timeout (${slow.durationMs} ms)`);
    s.close();
  });
});
