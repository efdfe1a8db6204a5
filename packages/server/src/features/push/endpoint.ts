import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { isFetchableAddress } from '../link-previews/guard';

/*
 * Where the server may push to. A subscription's endpoint is chosen by whoever saves it, so,
 * as for link previews, the server must not be made to POST into its own network: an endpoint
 * is https to a public address (checked again after DNS, when pushing). Loopback is allowed,
 * over http too, only with PUSH_ALLOW_LOOPBACK=true (tests and development, with a push
 * service on this machine).
 */

const NOTHING_EXTRA = new BlockList();
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const isLoopbackHost = (hostname: string) => hostname === 'localhost' || isLoopbackAddress(hostname);

/** `[::1]` → `::1`: URL keeps the brackets of an IPv6 host. */
const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/** Why an endpoint is refused, as a sentence for the API's answer; null when it may be used. */
export function endpointProblem(endpoint: string, allowLoopback: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'Must be a URL';
  }
  const host = bare(url.hostname);
  if (url.username || url.password) return 'Must not hold a user name or password';
  if (allowLoopback && isLoopbackHost(host)) return null;
  if (url.protocol !== 'https:') return 'Must be an https URL';
  if (host === 'localhost' || (isIP(host) !== 0 && !isFetchableAddress(host, NOTHING_EXTRA))) return 'Must be a public push service';
  return null;
}

/** Whether the server may connect to this resolved address for a push. */
function mayConnect(address: string, allowLoopback: boolean): boolean {
  return (allowLoopback && isLoopbackAddress(address)) || isFetchableAddress(address, NOTHING_EXTRA);
}

/** The endpoint's host resolved and checked; null when it resolves nowhere the server may connect to. */
export async function resolveEndpoint(url: URL, allowLoopback: boolean): Promise<{ address: string; family: number } | null> {
  const host = bare(url.hostname);
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await dnsLookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0) return null;
  // Every address the name has must be allowed: otherwise a rebinding name could pick the bad one.
  return addresses.every((a) => mayConnect(a.address, allowLoopback)) ? addresses[0]! : null;
}
