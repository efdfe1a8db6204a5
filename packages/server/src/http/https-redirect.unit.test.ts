import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { httpsUrlFor, startHttpsRedirect } from './https-redirect';

const at = (host: string | undefined, url = '/') => httpsUrlFor({ headers: host === undefined ? {} : { host }, url }, 8443);

describe('httpsUrlFor', () => {
  it('keeps the host name, path and query, and puts the HTTPS port', () => {
    expect(at('parley.lan:8080', '/channels/1?around=5')).toBe('https://parley.lan:8443/channels/1?around=5');
    expect(at('192.168.1.20')).toBe('https://192.168.1.20:8443/');
    expect(at('[fd00::20]:80', '/x')).toBe('https://[fd00::20]:8443/x');
    expect(httpsUrlFor({ headers: { host: 'parley.lan' }, url: '/a' }, 443)).toBe('https://parley.lan/a');
  });

  it('sends absolute-form and odd targets to the root, and has no answer without a usable Host', () => {
    expect(at('parley.lan', 'http://elsewhere.example/steal')).toBe('https://parley.lan:8443/');
    expect(at('parley.lan', '*')).toBe('https://parley.lan:8443/');
    expect(at(undefined)).toBeNull();
    expect(at('')).toBeNull();
    expect(at('evil.example/path')).toBeNull();
    expect(at('user@parley.lan')).toBeNull();
  });
});

describe('startHttpsRedirect', () => {
  it('answers every request with 308 to the https URL, and 400 without a Host', async () => {
    const server = await startHttpsRedirect({ port: 0, host: '127.0.0.1', httpsPort: 8443 });
    const { port } = server.address() as AddressInfo;
    const ask = (method: string, path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
        });
        req.on('error', reject);
        req.end(method === 'POST' ? '{"a":1}' : undefined);
      });
    try {
      expect(await ask('GET', '/app?x=1', { host: `127.0.0.1:${port}` })).toEqual({ status: 308, location: 'https://127.0.0.1:8443/app?x=1' });
      expect(await ask('POST', '/api/v10/auth/login', { host: 'parley.lan', 'content-type': 'application/json' })).toEqual({ status: 308, location: 'https://parley.lan:8443/api/v10/auth/login' });
      expect(await ask('GET', '/', {})).toEqual({ status: 400, location: undefined });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
