import { BlockList, isIP } from 'node:net';
import type { HostEntry } from '../config/index.js';

/**
 * Where a feed may be fetched from: public unicast addresses only, unless the operator names the host
 * in FEED_ALLOW_PRIVATE. The ranges are checked on the addresses a name resolves to, at connect time
 * (feed-fetch.ts), so a name that resolves to 127.0.0.1, or starts to after a first look (DNS
 * rebinding), is refused like the literal address. IPv4-mapped IPv6 (::ffff:127.0.0.1) is matched
 * against the IPv4 ranges by BlockList itself.
 */
const RANGES: readonly (readonly [kind: string, network: string, prefix: number, family: 'ipv4' | 'ipv6'])[] = [
  ['a "this network" address', '0.0.0.0', 8, 'ipv4'], // 0.0.0.0 reaches the local host on Linux
  ['a private address', '10.0.0.0', 8, 'ipv4'],
  ['a shared (CGNAT) address', '100.64.0.0', 10, 'ipv4'], // Alibaba's metadata service is 100.100.100.200
  ['a loopback address', '127.0.0.0', 8, 'ipv4'],
  ['a link-local address (cloud metadata lives at 169.254.169.254)', '169.254.0.0', 16, 'ipv4'],
  ['a private address', '172.16.0.0', 12, 'ipv4'],
  ['a reserved address', '192.0.0.0', 24, 'ipv4'],
  ['a documentation address', '192.0.2.0', 24, 'ipv4'],
  ['a private address', '192.168.0.0', 16, 'ipv4'],
  ['a benchmarking address', '198.18.0.0', 15, 'ipv4'],
  ['a documentation address', '198.51.100.0', 24, 'ipv4'],
  ['a documentation address', '203.0.113.0', 24, 'ipv4'],
  ['a multicast address', '224.0.0.0', 4, 'ipv4'],
  ['a reserved address', '240.0.0.0', 4, 'ipv4'], // 255.255.255.255 included
  ['a loopback or unspecified address', '::', 127, 'ipv6'], // :: and ::1
  ['an IPv4-compatible address', '::', 96, 'ipv6'], // deprecated ::a.b.c.d
  ['a NAT64 address', '64:ff9b::', 96, 'ipv6'],
  ['a NAT64 address', '64:ff9b:1::', 48, 'ipv6'],
  ['a discard address', '100::', 64, 'ipv6'],
  ['a Teredo address', '2001::', 32, 'ipv6'],
  ['a documentation address', '2001:db8::', 32, 'ipv6'],
  ['a 6to4 address', '2002::', 16, 'ipv6'], // carries an IPv4 address, private ones too
  ['a unique-local address', 'fc00::', 7, 'ipv6'], // AWS's IPv6 metadata fd00:ec2::254 included
  ['a link-local address', 'fe80::', 10, 'ipv6'],
  ['a site-local address', 'fec0::', 10, 'ipv6'],
  ['a multicast address', 'ff00::', 8, 'ipv6'],
];

const BLOCKS = RANGES.map(([kind, network, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { kind, list };
});

/** What kind of non-public address `address` is ("a loopback address"), or undefined when it is public. */
export function nonPublicKind(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  try {
    return BLOCKS.find((b) => b.list.check(address, family === 4 ? 'ipv4' : 'ipv6'))?.kind;
  } catch {
    return 'an address that cannot be checked'; // a zone id (fe80::1%eth0) and the like
  }
}

/** Whether the URL's host (and port) is one the operator allowed to be private. */
export function isAllowedPrivate(url: URL, allowed: readonly HostEntry[] | 'any'): boolean {
  if (allowed === 'any') return true;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((e) => e.hostname === url.hostname && (e.port === undefined || e.port === port));
}
