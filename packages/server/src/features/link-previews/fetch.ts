import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { type BlockList, isIP } from 'node:net';
import { isFetchableAddress } from './guard';

/** How the fetcher turns a host name into addresses (DNS; tests give their own). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Why no page came back: each is a refusal, never an error to the sender. */
export type FetchRefusal = 'bad-url' | 'private-address' | 'unresolvable' | 'too-many-redirects' | 'not-html' | 'status' | 'timeout' | 'failed';

export class FetchRefused extends Error {
  constructor(readonly reason: FetchRefusal) {
    super(`Link preview refused: ${reason}`);
  }
}

export interface FetcherOptions {
  /** Private ranges the operator allows (LINK_PREVIEWS_ALLOW). */
  allowed: BlockList;
  resolve?: Resolver;
  /** The whole fetch, redirects included. */
  timeoutMs?: number;
  /** Read at most this much of a page (its head is what a preview needs). */
  maxBytes?: number;
  maxRedirects?: number;
}

/**
 * Fetches a page for its preview, guarded against server-side request forgery (guard.ts):
 * - http(s) only, no credentials in the URL;
 * - the host is resolved once, every address must be public (or allowed), and the connection
 *   goes to the address that was checked, so a name that resolves differently the second time
 *   (DNS rebinding) cannot redirect it;
 * - redirects are followed by hand, each hop checked the same way, at most three;
 * - only text/html, only the first `maxBytes`, within `timeoutMs` in all.
 */
export class PreviewFetcher {
  private readonly resolve: Resolver;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxRedirects: number;

  constructor(private readonly options: FetcherOptions) {
    this.resolve = options.resolve ?? systemResolver;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxBytes = options.maxBytes ?? 512 * 1024;
    this.maxRedirects = options.maxRedirects ?? 3;
  }

  /** The page's URL (after redirects) and the start of its HTML. */
  async fetchPage(url: string): Promise<{ url: string; html: string }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let current = url;
    for (let hop = 0; hop <= this.maxRedirects; hop++) {
      const target = parseTarget(current);
      const address = await this.vet(target);
      const answer = await this.request(target, address, signal);
      if ('location' in answer) {
        current = new URL(answer.location, target).toString();
        continue;
      }
      return { url: target.toString(), html: answer.html };
    }
    throw new FetchRefused('too-many-redirects');
  }

  /** The address to connect to: every address the host has must be fetchable. */
  private async vet(target: URL): Promise<{ address: string; family: number }> {
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const family = isIP(host);
    let addresses: { address: string; family: number }[];
    if (family) addresses = [{ address: host, family }];
    else {
      addresses = await this.resolve(host).catch(() => []);
      if (addresses.length === 0) throw new FetchRefused('unresolvable');
    }
    if (!addresses.every((a) => isFetchableAddress(a.address, this.options.allowed))) throw new FetchRefused('private-address');
    return addresses[0]!;
  }

  private request(target: URL, pinned: { address: string; family: number }, signal: AbortSignal): Promise<{ location: string } | { html: string }> {
    return new Promise((resolve, reject) => {
      const fail = (reason: FetchRefusal) => reject(new FetchRefused(reason));
      const client = target.protocol === 'https:' ? https : http;
      const request = client.request(
        target,
        {
          method: 'GET',
          signal,
          headers: { 'user-agent': 'Mozilla/5.0 (compatible; ParleyLinkPreview/1.0)', accept: 'text/html', 'accept-encoding': 'identity' },
          // Connect to the address that was checked, whatever the name resolves to now.
          lookup: (_hostname, options, callback) => {
            if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
            else callback(null, pinned.address, pinned.family);
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 300 && status < 400 && response.headers.location) {
            response.resume();
            resolve({ location: response.headers.location });
            return;
          }
          if (status < 200 || status >= 300) {
            response.resume();
            return fail('status');
          }
          if (!/^text\/html\b|^application\/xhtml\+xml\b/i.test(response.headers['content-type'] ?? '')) {
            response.resume();
            return fail('not-html');
          }
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => resolve({ html: Buffer.concat(chunks).toString('utf8') });
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
            // Enough of the page: its head is in it (and nothing more is read).
            if (size >= this.maxBytes) {
              response.destroy();
              finish();
            }
          });
          response.on('end', finish);
          response.on('error', () => fail('failed'));
        },
      );
      request.on('error', () => fail(signal.aborted ? 'timeout' : 'failed'));
      request.end();
    });
  }
}

function parseTarget(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new FetchRefused('bad-url');
  }
  if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.username || target.password) throw new FetchRefused('bad-url');
  return target;
}
