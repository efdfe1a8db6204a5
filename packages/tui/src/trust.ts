import type { WebSocketConstructor } from '@parley/sdk';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';

/**
 * How the client trusts a server over HTTPS. A certificate from a public CA needs nothing; a
 * LAN server's self-signed one is trusted through `--ca FILE`, or pinned on first use (like
 * ssh's known_hosts): its PEM is saved, and from then on only that exact certificate is
 * accepted. A changed certificate is refused loudly, before any token is sent.
 */
export interface Connections {
  fetch: typeof fetch;
  WebSocket: WebSocketConstructor;
  /** What to tell the user once (a certificate pinned just now), or null. */
  notice: string | null;
}

/** $XDG_CONFIG_HOME/parley/known_servers.json: pinned certificates by host:port. */
function knownServersPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'parley', 'known_servers.json');
}

interface Pin {
  fingerprint256: string;
  pem: string;
}

/** The certificate a server presents, read without trusting it (to compare with a pin). */
export function presentedCertificate(host: string, port: number): Promise<Pin & { trusted: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: isIp(host) ? undefined : host, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ fingerprint256: cert.fingerprint256, pem: new X509Certificate(cert.raw).toString(), trusted: socket.authorized });
      socket.end();
    });
    socket.once('error', reject);
  });
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');

/** fetch and WebSocket that trust exactly `ca` (PEM) for this server. */
function trusting(ca: string | undefined): Omit<Connections, 'notice'> {
  if (!ca) return { fetch: globalThis.fetch, WebSocket: WebSocket as unknown as WebSocketConstructor };
  const dispatcher = new Agent({ connect: { ca } });
  class TrustingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { ca });
    }
  }
  return {
    fetch: ((input: string, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch,
    WebSocket: TrustingWebSocket as unknown as WebSocketConstructor,
  };
}

/** The connections to use for `server` (an http:// or https:// base URL). */
export async function connectionsFor(server: string, options: { caFile?: string | null; knownServers?: string } = {}): Promise<Connections> {
  const url = new URL(server);
  if (url.protocol !== 'https:') return { ...trusting(undefined), notice: null };
  if (options.caFile) return { ...trusting(await readFile(options.caFile, 'utf8')), notice: null };

  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const presented = await presentedCertificate(host, port);
  if (presented.trusted) return { ...trusting(undefined), notice: null };

  const file = options.knownServers ?? knownServersPath();
  const known = await readKnown(file);
  const key = `${host}:${port}`;
  const pinned = known[key];
  if (pinned && pinned.fingerprint256 !== presented.fingerprint256) {
    throw new Error(
      [
        `WARNING: the certificate of ${key} has CHANGED. Refusing to connect.`,
        `  pinned:    SHA-256 ${pinned.fingerprint256}`,
        `  presented: SHA-256 ${presented.fingerprint256}`,
        'Someone may be intercepting the connection. If the server was given a new certificate on',
        `purpose, check its fingerprint with the operator, then remove "${key}" from ${file}.`,
      ].join('\n'),
    );
  }
  if (!pinned) {
    known[key] = { fingerprint256: presented.fingerprint256, pem: presented.pem };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify(known, null, 2) + '\n', { mode: 0o600 });
  }
  // Every later connection trusts the pinned certificate only: a swap after this check fails too.
  const notice = pinned ? null : `Trusting ${key} on first use: SHA-256 ${presented.fingerprint256} (pinned in ${file}).`;
  return { ...trusting(known[key]!.pem), notice };
}

async function readKnown(file: string): Promise<Record<string, Pin>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, Pin>;
  } catch {
    return {};
  }
}
