import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectApiError } from './client';
import { type RunningParley, startParley } from './npm-start';

/**
 * `npm start` serves the built web client on the API's port: the page, its assets, the
 * client-side routes a browser opens directly, and never the page where the API must answer.
 */
let parley: RunningParley;

beforeAll(async () => {
  parley = await startParley();
});
afterAll(() => parley?.stop());

const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** The entry script the page loads (`<script type="module" src="/assets/…js">`). */
function entryScript(html: string): string {
  const match = /<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+\.js)"/.exec(html);
  expect(match, 'index.html has a module script').not.toBeNull();
  return match![1]!;
}

describe('the web client', () => {
  it('GET / is the app page with its script', async () => {
    const page = await call(parley.baseUrl, '/', { headers: browser });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.text).toMatch(/^<!doctype html>/i);
    expect(page.text).toContain('<div id="app">');
    expect(entryScript(page.text)).toMatch(/^\/assets\/[\w.-]+\.js$/);
  });

  it('the scripts and styles the page references load with their content types', async () => {
    const page = await call(parley.baseUrl, '/');
    const scripts = [...page.text.matchAll(/<(?:script|link rel="modulepreload")\b[^>]*\b(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    const styles = [...page.text.matchAll(/<link rel="stylesheet"[^>]*\bhref="(\/assets\/[^"]+\.css)"/g)].map((m) => m[1]!);
    expect(scripts).toContain(entryScript(page.text));
    for (const script of scripts) {
      const asset = await call(parley.baseUrl, script, { headers: { accept: '*/*' } });
      expect(asset.status, script).toBe(200);
      expect(asset.headers.get('content-type'), script).toMatch(/^(application|text)\/javascript/);
      expect(asset.headers.get('cache-control'), script).toContain('immutable');
      expect(asset.text.length, script).toBeGreaterThan(0);
      expect(asset.text, script).not.toMatch(/^<!doctype html>/i);
    }
    for (const style of styles) {
      const asset = await call(parley.baseUrl, style, { headers: { accept: 'text/css,*/*;q=0.1' } });
      expect(asset.status, style).toBe(200);
      expect(asset.headers.get('content-type'), style).toMatch(/^text\/css/);
    }
  });

  it('scripts and API answers come compressed to a client that takes it, uncompressed to one that does not', async () => {
    const script = entryScript((await call(parley.baseUrl, '/')).text);
    const compressed = await call(parley.baseUrl, script, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(compressed.headers.get('content-encoding')).toBe('br');
    expect(compressed.headers.get('vary')).toMatch(/accept-encoding/i);
    // The build's brotli copy, sent as a file (with its length), not compressed per request (streamed without one).
    expect(Number(compressed.headers.get('content-length'))).toBeGreaterThan(0);
    const identity = await call(parley.baseUrl, script, { headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers.get('content-encoding')).toBeNull();
    expect(compressed.text).toBe(identity.text);
    const openapi = await call(parley.baseUrl, '/api/openapi.json', { headers: { 'accept-encoding': 'gzip' } });
    expect(openapi.headers.get('content-encoding')).toBe('gzip');
  });

  it('the service worker and the manifest load', async () => {
    const worker = await call(parley.baseUrl, '/sw.js');
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    expect(worker.headers.get('cache-control')).toBe('no-cache');
    const manifest = await call(parley.baseUrl, '/manifest.webmanifest');
    expect(manifest.status).toBe(200);
    expect((manifest.json as { name?: string }).name).toBeTruthy();
  });

  it('a deep link opened in a browser gets the app page', async () => {
    const index = await call(parley.baseUrl, '/');
    for (const path of ['/channels/@me', '/channels/123/456', '/settings/profile']) {
      const page = await call(parley.baseUrl, path, { headers: browser });
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(entryScript(page.text), path).toBe(entryScript(index.text));
    }
  });

  it('an unknown path asked for by anything but a browser page load is a JSON 404', async () => {
    expectApiError(await call(parley.baseUrl, '/channels/@me', { headers: { accept: 'application/json' } }), 404, 0);
    // A missing script must not come back as the HTML page (the browser would refuse it as a script).
    expectApiError(await call(parley.baseUrl, '/assets/no-such-chunk.js', { headers: { accept: '*/*' } }), 404, 0);
  });

  it('/api/… stays the API for a browser: JSON 404, never the page', async () => {
    const answer = await call(parley.baseUrl, '/api/v10/nonexistent', { headers: browser });
    expectApiError(answer, 404, 0);
    expectApiError(await call(parley.baseUrl, '/cdn/nonexistent', { headers: browser }), 404, 0);
  });

  it('the API documentation is served', async () => {
    const spec = await call(parley.baseUrl, '/api/openapi.json');
    expect(spec.status).toBe(200);
    expect((spec.json as { openapi?: string }).openapi).toMatch(/^3\./);
  });
});
