import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchRefused, PreviewFetcher, type Resolver } from './fetch';
import { isFetchableAddress, parseAllowList } from './guard';
import { embedFromPage } from './parse';
import { linksIn } from './previews';

/*
 * The link-preview fetcher's guard against server-side request forgery. Every hostile target is
 * refused before any connection: names resolve through the test's own resolver to forbidden
 * addresses, so nothing here connects anywhere but to the test's server on 127.0.0.1.
 */

const nothingAllowed = parseAllowList('');
const loopbackAllowed = parseAllowList('127.0.0.1');

describe('which addresses previews may be fetched from', () => {
  it('refuses loopback, private, link-local, metadata, reserved and IPv6 forms of them; takes public ones', () => {
    const refused = ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1'];
    const refusedV6 = ['::1', '::', 'fd00::1', 'fc00::5', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::10.0.0.1', '2001:db8::1', '2002:7f00:1::1'];
    for (const address of [...refused, ...refusedV6]) expect(isFetchableAddress(address, nothingAllowed), address).toBe(false);
    for (const address of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])
      expect(isFetchableAddress(address, nothingAllowed), address).toBe(true);
    expect(isFetchableAddress('not an address', nothingAllowed)).toBe(false);
  });

  it('lets the operator allow private ranges (LINK_PREVIEWS_ALLOW), and refuses a malformed list', () => {
    const intranet = parseAllowList('10.20.0.0/16, 127.0.0.1');
    expect(isFetchableAddress('10.20.3.4', intranet)).toBe(true);
    expect(isFetchableAddress('10.21.0.1', intranet)).toBe(false);
    expect(isFetchableAddress('127.0.0.1', intranet)).toBe(true);
    expect(isFetchableAddress('::ffff:127.0.0.1', intranet)).toBe(true);
    expect(() => parseAllowList('10.0.0.0/33')).toThrow(/prefix/);
    expect(() => parseAllowList('intranet.local')).toThrow(/not an IP address/);
  });
});

describe('the preview fetcher', () => {
  let server: http.Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      seen.push(`${request.headers.host} ${request.url}`);
      const page = (html: string) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      switch (request.url) {
        case '/page':
          return page('<html><head><meta property="og:title" content="A page"></head><body>hi</body></html>');
        case '/to-private':
          return response.writeHead(302, { location: 'http://10.1.2.3/admin' }).end();
        case '/to-metadata':
          return response.writeHead(301, { location: 'http://metadata.test/latest/meta-data/' }).end();
        case '/to-page':
          return response.writeHead(302, { location: '/page' }).end();
        case '/loop':
          return response.writeHead(302, { location: '/loop' }).end();
        case '/json':
          return response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        case '/missing':
          return response.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
        case '/huge':
          response.writeHead(200, { 'content-type': 'text/html' });
          // 4 MiB if read to the end; the fetcher stops after its limit.
          for (let i = 0; i < 64; i++) response.write('<p>' + 'x'.repeat(64 * 1024) + '</p>');
          return response.end();
        case '/silent':
          return; // never answers
        default:
          return response.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const names: Record<string, string[]> = {
    'wiki.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'intranet.test': ['10.0.0.7'],
    // Rebinding: one public and one private answer; it must not pick the public one and go.
    'rebind.test': ['93.184.216.34', '127.0.0.1'],
    'v6-loopback.test': ['::1'],
  };
  const resolved: string[] = [];
  const resolve: Resolver = async (hostname) => {
    resolved.push(hostname);
    const addresses = names[hostname];
    if (!addresses) throw new Error('ENOTFOUND');
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const fetcher = (allowed = loopbackAllowed, timeoutMs = 2000) => new PreviewFetcher({ allowed, resolve, timeoutMs, maxBytes: 256 * 1024 });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'fetched',
      (error: unknown) => (error instanceof FetchRefused ? error.reason : String(error)),
    );

  it('fetches an allowed page, connecting to the address it checked (the Host is the name)', async () => {
    const page = await fetcher().fetchPage(`http://wiki.test:${port}/page`);
    expect(page.html).toContain('og:title');
    expect(seen.at(-1)).toBe(`wiki.test:${port} /page`);
    expect((await fetcher().fetchPage(`http://wiki.test:${port}/to-page`)).url).toBe(`http://wiki.test:${port}/page`);
  });

  it('refuses private targets by name, by literal, by rebinding and by redirect, before connecting to them', async () => {
    const before = seen.length;
    expect(await refusal(fetcher().fetchPage('http://metadata.test/latest/meta-data/'))).toBe('private-address');
    expect(await refusal(fetcher().fetchPage('http://intranet.test/'))).toBe('private-address');
    expect(await refusal(fetcher().fetchPage('http://v6-loopback.test/'))).toBe('private-address');
    expect(await refusal(fetcher(nothingAllowed).fetchPage('http://rebind.test/'))).toBe('private-address');
    expect(await refusal(fetcher(nothingAllowed).fetchPage(`http://127.0.0.1:${port}/page`))).toBe('private-address');
    expect(await refusal(fetcher(nothingAllowed).fetchPage(`http://[::ffff:127.0.0.1]:${port}/page`))).toBe('private-address');
    // Other spellings of 127.0.0.1 are the same address once parsed.
    expect(await refusal(fetcher(nothingAllowed).fetchPage(`http://2130706433:${port}/page`))).toBe('private-address');
    expect(await refusal(fetcher(nothingAllowed).fetchPage(`http://0x7f.1:${port}/page`))).toBe('private-address');
    expect(await refusal(fetcher(nothingAllowed).fetchPage('http://169.254.169.254/latest/meta-data/'))).toBe('private-address');
    // None of these reached the test's server.
    expect(seen.length).toBe(before);
    // A redirect into private space is checked like the first hop.
    expect(await refusal(fetcher().fetchPage(`http://wiki.test:${port}/to-private`))).toBe('private-address');
    expect(await refusal(fetcher().fetchPage(`http://wiki.test:${port}/to-metadata`))).toBe('private-address');
    expect(resolved).toContain('metadata.test');
  });

  it('takes only http(s) without credentials, only HTML, a bounded amount, within its time, through at most three redirects', async () => {
    expect(await refusal(fetcher().fetchPage('ftp://wiki.test/file'))).toBe('bad-url');
    expect(await refusal(fetcher().fetchPage('javascript:alert(1)'))).toBe('bad-url');
    expect(await refusal(fetcher().fetchPage(`http://user:secret@wiki.test:${port}/page`))).toBe('bad-url');
    expect(await refusal(fetcher().fetchPage('http://nowhere.test/'))).toBe('unresolvable');
    expect(await refusal(fetcher().fetchPage(`http://wiki.test:${port}/json`))).toBe('not-html');
    expect(await refusal(fetcher().fetchPage(`http://wiki.test:${port}/missing`))).toBe('status');
    expect(await refusal(fetcher().fetchPage(`http://wiki.test:${port}/loop`))).toBe('too-many-redirects');
    const huge = await fetcher().fetchPage(`http://wiki.test:${port}/huge`);
    expect(huge.html.length).toBeGreaterThanOrEqual(256 * 1024);
    expect(huge.html.length).toBeLessThan(1024 * 1024);
    expect(await refusal(fetcher(loopbackAllowed, 300).fetchPage(`http://wiki.test:${port}/silent`))).toBe('timeout');
  });
});

describe("what a page's preview says", () => {
  it('takes OpenGraph first, then Twitter, then <title> and the meta description; decodes entities; trims', () => {
    const html = `<html><head>
      <title>Fallback title</title>
      <meta name="description" content="Fallback description">
      <meta property="og:title" content="Parley &amp; friends">
      <meta property="og:description" content="${'Long. '.repeat(100)}">
      <meta property="og:site_name" content="Parley Blog">
      <meta property="og:image" content="/images/cover.png">
      <meta property="og:title" content="A second og:title is ignored">
    </head><body><meta property="og:title" content="not in the head"></body></html>`;
    const embed = embedFromPage('https://blog.example.org/post', html)!;
    expect(embed).toMatchObject({
      type: 'link',
      url: 'https://blog.example.org/post',
      title: 'Parley & friends',
      provider: { name: 'Parley Blog' },
      thumbnail: { url: 'https://blog.example.org/images/cover.png' },
    });
    expect(embed.description!.length).toBeLessThanOrEqual(350);
    expect(embed.description!.endsWith('…')).toBe(true);
    expect(embedFromPage('https://x.example/', '<head><title>Only a title</title><meta name="description" content="and text"></head>')).toMatchObject({
      title: 'Only a title',
      description: 'and text',
    });
    expect(embedFromPage('https://x.example/', '<head><meta property="og:title" content="t"><meta property="og:image" content="javascript:alert(1)"></head>')!.thumbnail).toBeUndefined();
    expect(embedFromPage('https://x.example/', '<html><body>no head at all</body></html>')).toBeNull();
  });

  it('finds at most three links in a message, outside code and <angle brackets>, without trailing punctuation', () => {
    expect(linksIn('see https://a.example/x, and (https://b.example/wiki/Foo_(bar)) or https://c.example/y.')).toEqual([
      'https://a.example/x',
      'https://b.example/wiki/Foo_(bar)',
      'https://c.example/y',
    ]);
    expect(linksIn('quiet <https://a.example/> and `https://b.example/` and ```\nhttps://c.example/\n```')).toEqual([]);
    expect(linksIn('https://1.example https://2.example https://1.example https://3.example https://4.example')).toEqual(['https://1.example', 'https://2.example', 'https://3.example']);
    expect(linksIn('no links, just ftp://files.example and text')).toEqual([]);
  });
});
