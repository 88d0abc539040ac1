import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { isAddressAllowed, normalizeAllowList } from '@video-detect/shared';

/** What the delivery log says for a refused address: never the address itself (that would tell a user how internal names resolve). */
export const ADDRESS_REFUSED =
  'refused: the receiver resolves to a loopback, private, link-local or reserved address, which WEBHOOK_ALLOWED_ADDRESSES does not allow';

export interface SendOutcome {
  /** The receiver answered 2xx. */
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  /** Why it failed, for the delivery log; null on success. */
  error: string | null;
}

export interface WebhookSenderOptions {
  /** WEBHOOK_ALLOWED_ADDRESSES: non-public addresses and ranges a receiver may have. */
  allowedAddresses: readonly string[];
  /** WEBHOOK_TIMEOUT_MS: the whole attempt, from connecting to the end of the answer. */
  timeoutMs: number;
  userAgent: string;
}

/**
 * POSTs webhook bodies. The connection goes through request-filtering-agent, which checks every
 * address a host name resolves to when the socket is opened (not when the URL was saved), so a DNS
 * answer that changes cannot point a delivery at loopback, private, link-local or metadata
 * addresses; WEBHOOK_ALLOWED_ADDRESSES lets on-premise receivers through. Redirects are not
 * followed: a 3xx is a failed attempt, like any answer outside 2xx.
 */
export class WebhookSender {
  private readonly httpAgent: RequestFilteringHttpAgent;
  private readonly httpsAgent: RequestFilteringHttpsAgent;

  constructor(private readonly options: WebhookSenderOptions) {
    const filter = { allowPrivateIPAddress: false, allowMetaIPAddress: false, allowIPAddressList: normalizeAllowList(options.allowedAddresses) };
    this.httpAgent = new RequestFilteringHttpAgent(filter);
    this.httpsAgent = new RequestFilteringHttpsAgent(filter);
  }

  send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome> {
    const started = performance.now();
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    // The addresses the host resolved to (the agent checks them): a failure is told apart by our own rule, not its message.
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const resolved: string[] = isIP(host) ? [host] : [];
    const lookup: LookupFunction = (hostname, options, callback) =>
      dnsLookup(hostname, options, (err, address, family) => {
        resolved.push(...(typeof address === 'string' ? [address] : (address ?? []).map((a) => a.address)));
        callback(err, address, family);
      });
    const describe = (err: Error) => {
      if (resolved.some((address) => !isAddressAllowed(address, this.options.allowedAddresses))) return ADDRESS_REFUSED;
      return err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : err.message;
    };
    return new Promise((resolve) => {
      let settled = false;
      const settle = (statusCode: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        const ok = error === null && statusCode !== null && statusCode >= 200 && statusCode < 300;
        resolve({ ok, statusCode, durationMs: Math.round(performance.now() - started), error: ok ? null : (error ?? `the receiver answered ${statusCode}`) });
      };
      const onResponse = (res: IncomingMessage) => {
        // The answer's body is not kept: drain it so the socket closes.
        res.resume();
        res.on('end', () => settle(res.statusCode ?? null, null));
        res.on('error', (err) => settle(res.statusCode ?? null, err.message));
      };
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': this.options.userAgent },
          lookup,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
        onResponse,
      );
      req.on('error', (err) => settle(null, describe(err)));
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
