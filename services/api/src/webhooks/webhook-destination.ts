import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isAddressAllowed } from '@video-detect/shared';
import { HttpError } from '../http/http-error.js';

/** How long saving an endpoint waits for its host name to resolve. */
const LOOKUP_TIMEOUT_MS = 5000;

const badUrl = (problem: string) => new HttpError(400, 'invalid_request', `Invalid request body: url: ${problem}.`);

/**
 * Refuses, when an endpoint is saved, a URL whose host is (or resolves to) an address webhooks may
 * not reach: the sender's rule (shared/src/address-policy.ts). The sender checks again at every
 * connection, so a host that later resolves elsewhere is refused then.
 */
export async function checkWebhookDestination(url: string, allowList: readonly string[]): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host) !== 0;
  let addresses: string[];
  if (literal) {
    addresses = [host];
  } else {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS)));
    try {
      addresses = (await Promise.race([lookup(host, { all: true, verbatim: true }), timeout])).map((a) => a.address);
    } catch {
      throw badUrl(`the host "${host}" does not resolve`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.some((address) => !isAddressAllowed(address, allowList))) {
    // Which address a name resolves to is not said: that would let users map internal DNS.
    const what = literal ? `"${host}" is` : `"${host}" resolves to`;
    throw badUrl(`${what} a loopback, private, link-local or reserved address, which webhooks may not reach (an operator can allow it with WEBHOOK_ALLOWED_ADDRESSES)`);
  }
}
