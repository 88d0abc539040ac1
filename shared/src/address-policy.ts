import ipaddr from 'ipaddr.js';

/** An IP address or a CIDR range, as WEBHOOK_ALLOWED_ADDRESSES lists them. */
export function isAddressOrRange(value: string): boolean {
  return ipaddr.isValid(value) || ipaddr.isValidCIDR(value);
}

/**
 * The allow-list as request-filtering-agent matches it: a CIDR range as written, a single address
 * in the resolver's spelling (it compares single addresses as strings: `0:0:0:0:0:0:0:1` → `::1`).
 */
export function normalizeAllowList(list: readonly string[]): string[] {
  return list.map((entry) => (ipaddr.isValidCIDR(entry) ? entry : ipaddr.parse(entry).toString()));
}

/**
 * Whether a webhook may connect to `address`: the rule request-filtering-agent applies when the
 * sender connects (a unicast address, or one the allow-list names; loopback, private, link-local,
 * carrier-grade NAT, IPv4-mapped and reserved ranges are not unicast), checked here too when an
 * endpoint is saved, so a URL that points inside the network is refused up front.
 */
export function isAddressAllowed(address: string, allowList: readonly string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  for (const entry of normalizeAllowList(allowList)) {
    if (!ipaddr.isValidCIDR(entry)) {
      if (entry === parsed.toString()) return true;
      continue;
    }
    const [network, bits] = ipaddr.parseCIDR(entry);
    if (parsed.kind() === network.kind() && parsed.match(network, bits)) return true;
  }
  return parsed.range() === 'unicast';
}
