import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a request from a campaign or console URL may never reach: everything
 * that is not on the public internet (IANA's special-purpose registries), named by why,
 * so a refusal can say what the address is.
 */

export type RefusedKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'shared (CGNAT)'
  | 'multicast'
  | 'reserved';

const IPV4: Array<[RefusedKind, string, number]> = [
  // 169.254.169.254 is inside link-local, but it is the one attackers want: name it.
  ['metadata', '169.254.169.254', 32],
  ['unspecified', '0.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['shared (CGNAT)', '100.64.0.0', 10],
  ['loopback', '127.0.0.0', 8],
  ['link-local', '169.254.0.0', 16],
  ['private', '172.16.0.0', 12],
  ['reserved', '192.0.0.0', 24],
  ['reserved', '192.0.2.0', 24],
  ['reserved', '192.88.99.0', 24],
  ['private', '192.168.0.0', 16],
  ['reserved', '198.18.0.0', 15],
  ['reserved', '198.51.100.0', 24],
  ['reserved', '203.0.113.0', 24],
  ['multicast', '224.0.0.0', 4],
  // 240/4 with the broadcast address 255.255.255.255.
  ['reserved', '240.0.0.0', 4],
];

const IPV6: Array<[RefusedKind, string, number]> = [
  // AWS's IPv6 instance metadata, inside fc00::/7.
  ['metadata', 'fd00:ec2::254', 128],
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  // IPv4-compatible (deprecated), bar the two above: no legitimate host has one.
  ['reserved', '::', 96],
  ['reserved', '64:ff9b:1::', 48],
  ['reserved', '100::', 64],
  // IETF protocol assignments, Teredo and 2001:db8::/32 documentation.
  ['reserved', '2001::', 23],
  ['reserved', '2001:db8::', 32],
  ['reserved', '3fff::', 20],
  ['private', 'fc00::', 7],
  ['link-local', 'fe80::', 10],
  ['private', 'fec0::', 10],
  ['multicast', 'ff00::', 8],
];

const lists = new Map<RefusedKind, BlockList>();
for (const [kind, network, prefix] of [...IPV4, ...IPV6]) {
  const list = lists.get(kind) ?? new BlockList();
  list.addSubnet(network, prefix, network.includes(':') ? 'ipv6' : 'ipv4');
  lists.set(kind, list);
}
// Most specific first, so 169.254.169.254 is "metadata", not "link-local".
const ORDER: RefusedKind[] = ['metadata', 'unspecified', 'loopback', 'private', 'link-local', 'shared (CGNAT)', 'multicast', 'reserved'];

/**
 * Why an address may not be reached, or undefined for a public address. IPv6 forms that
 * carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are
 * judged by that address: ::ffff:127.0.0.1 is loopback. Anything that is not an IP
 * address at all is refused as reserved, so a parsing slip never lets a request through.
 */
export function refusedKind(address: string): RefusedKind | undefined {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const embedded = embeddedIpv4(address);
    if (embedded !== undefined) return refusedKind(embedded);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return ORDER.find((kind) => lists.get(kind)?.check(address, type));
}

/** The IPv4 address inside an IPv6 address that carries one, in dotted form. */
function embeddedIpv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const zero = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const dotted = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  // ::ffff:a.b.c.d (mapped)
  if (zero(0, 5) && words[5] === 0xffff) return dotted(words[6]!, words[7]!);
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
  if (words[0] === 0x64 && words[1] === 0xff9b && zero(2, 6)) return dotted(words[6]!, words[7]!);
  // 2002:AABB:CCDD::/48 (6to4)
  if (words[0] === 0x2002) return dotted(words[1]!, words[2]!);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (with or without a dotted IPv4 tail). */
function ipv6Words(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const part = (s: string) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = part(head);
  const right = rest === undefined ? [] : part(rest);
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 0) return undefined;
  const words = [...left, ...new Array<number>(missing).fill(0), ...right];
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}
