import { BlockList, isIP } from 'node:net';

/*
 * Where the server may fetch a link preview from: public addresses only. A link in a message is
 * chosen by whoever sends it, so without this guard anyone could make the server read its own
 * network (a cloud's metadata service at 169.254.169.254, an admin page on 10.x, a database on
 * 127.0.0.1) and show the answer in a preview. The operator may allow some private ranges (an
 * intranet wiki) with LINK_PREVIEWS_ALLOW.
 */

/** Addresses that are not the public internet (IANA special-purpose registries, RFC 6890 and successors). */
const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
];
const PRIVATE_V6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo and others)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: wraps an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

const forbidden = new BlockList();
for (const [address, prefix] of PRIVATE_V4) forbidden.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of PRIVATE_V6) forbidden.addSubnet(address, prefix, 'ipv6');

/** An IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, or NAT64 64:ff9b::a.b.c.d), if any. */
function embeddedV4(address: string): string | null {
  const match = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (match) return match[1]!;
  // The same written in hex: ::ffff:7f00:1.
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Parses LINK_PREVIEWS_ALLOW: addresses or CIDR ranges, comma-separated. */
export function parseAllowList(value: string): BlockList {
  const allowed = new BlockList();
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (!family) throw new Error(`LINK_PREVIEWS_ALLOW: "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) allowed.addAddress(address, type);
    else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`LINK_PREVIEWS_ALLOW: "${entry}" has a bad prefix length`);
      allowed.addSubnet(address, bits, type);
    }
  }
  return allowed;
}

/** Whether a preview may be fetched from this resolved address (public, or allowed by the operator). */
export function isFetchableAddress(address: string, allowed: BlockList): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowed.check(address, type)) return true;
  const inner = family === 6 ? embeddedV4(address) : null;
  if (inner !== null) return isFetchableAddress(inner, allowed);
  return !forbidden.check(address, type);
}
