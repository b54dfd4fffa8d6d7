import { BlockList, isIP } from 'node:net';

/** An IPv4 or IPv6 network: `10.20.0.0/16`, `2001:db8::/32`; a bare address is one host. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `address[/prefix]`; undefined when it is not an IP address or the prefix is out of range. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * The networks as a node:net BlockList (used here as an allow list). It matches an
 * IPv4 client seen through a dual-stack socket (`::ffff:10.0.0.5`) against IPv4 networks.
 */
export function networkList(cidrs: readonly Cidr[]): BlockList {
  const list = new BlockList();
  for (const { address, prefix, family } of cidrs) list.addSubnet(address, prefix, family);
  return list;
}

/** Whether the address (req.ip) is in the list; an unknown address (a closed socket) is not. */
export function inNetworks(list: BlockList, address: string | undefined): boolean {
  const version = address ? isIP(address) : 0;
  return version !== 0 && list.check(address as string, version === 4 ? 'ipv4' : 'ipv6');
}
