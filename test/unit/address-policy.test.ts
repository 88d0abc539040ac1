import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAddressAllowed, isAddressOrRange, loadConfig, normalizeAllowList } from '@video-detect/shared';

describe('webhook address policy', () => {
  it('refuses loopback, private, link-local, metadata, carrier-grade NAT and IPv4-mapped addresses; allows public ones', () => {
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '169.254.169.254', 'fe80::1', 'fd00::1', '100.64.0.1', '0.0.0.0', '::ffff:127.0.0.1']) {
      assert.equal(isAddressAllowed(address, []), false, address);
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '1.1.1.1']) assert.equal(isAddressAllowed(address, []), true, address);
    assert.equal(isAddressAllowed('not an address', []), false);
  });

  it('lets the allow-list through: single addresses in any spelling, CIDR ranges of either family', () => {
    const allow = ['127.0.0.1', '0:0:0:0:0:0:0:1', '10.20.0.0/16'];
    assert.deepEqual(normalizeAllowList(allow), ['127.0.0.1', '::1', '10.20.0.0/16']);
    for (const address of ['127.0.0.1', '::1', '10.20.3.4']) assert.equal(isAddressAllowed(address, allow), true, address);
    for (const address of ['127.0.0.2', '10.21.0.1', '169.254.169.254']) assert.equal(isAddressAllowed(address, allow), false, address);
    assert.equal(isAddressAllowed('169.254.169.254', ['169.254.0.0/16']), true);
  });

  it('WEBHOOK_ALLOWED_ADDRESSES takes IPs and CIDR ranges, and names itself when it gets anything else', () => {
    assert.deepEqual(loadConfig({ WEBHOOK_ALLOWED_ADDRESSES: ' 10.0.0.0/8, 192.168.1.5 ,' }).webhooks.allowedAddresses, ['10.0.0.0/8', '192.168.1.5']);
    assert.deepEqual(loadConfig({}).webhooks.allowedAddresses, []);
    assert.throws(() => loadConfig({ WEBHOOK_ALLOWED_ADDRESSES: 'intranet.local' }), /WEBHOOK_ALLOWED_ADDRESSES/);
    assert.equal(isAddressOrRange('10.0.0.0/33'), false);
  });
});
