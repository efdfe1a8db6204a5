import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../testing/fixtures';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    // A route that fails in an unexpected way, to see what a client gets from a 500.
    setup: (app) =>
      app.get('/api/v10/test/crash', async () => {
        throw new Error('secret database password is hunter2');
      }),
  });
});
afterAll(() => server.close());

const post = (url: string, payload: string, headers: Record<string, string> = {}) => server.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });

describe('bad input', () => {
  it('answers malformed JSON with 50109 and stores nothing', async () => {
    const response = await post('/api/v10/auth/register', '{"username": "x", ');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 50109 });
  });

  it('answers a body of the wrong shape with the field named', async () => {
    for (const payload of ['[]', '"text"', '42', 'null', '{"username": 5, "password": true}']) {
      const response = await post('/api/v10/auth/register', payload);
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.code).toBe(50035);
    }
    const typed = (await post('/api/v10/auth/register', '{"username": 5, "password": true}')).json();
    expect(typed.errors.username._errors[0]).toEqual({ code: 'BASE_TYPE_INVALID', message: 'Must be a string' });
    expect(typed.errors.password._errors[0].code).toBe('BASE_TYPE_INVALID');
    expect(typed.message).toContain('username');
  });

  it('refuses an oversized JSON body with 413 before parsing it', async () => {
    const response = await post('/api/v10/auth/login', JSON.stringify({ login: 'a', password: 'x'.repeat(300 * 1024) }));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 40005 });
  });

  it('refuses a bad path parameter', async () => {
    const { client } = await signUp(server);
    const response = await server.app.inject({ method: 'GET', url: '/api/v10/users/not-an-id', headers: { authorization: client.token! } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.user_id._errors[0].code).toBe('STRING_TYPE_REGEX');
  });

  it('refuses an unsupported content type', async () => {
    const response = await post('/api/v10/auth/login', 'login=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 90415 });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v10/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ code: 0, message: '404: Not Found' });
  });

  it('answers an undecodable URL in the API error shape', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v10/users/%E0%A4%A' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: 90400, message: 'Malformed request' });
  });

  it('turns unexpected errors into a 500 that leaks nothing', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v10/test/crash' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ code: 0, message: 'Something went wrong on the server. Please try again.' });
    expect(response.body).not.toContain('hunter2');
  });
});

describe('operations', () => {
  it('reports liveness and readiness', async () => {
    expect((await server.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await server.app.inject('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('serves an OpenAPI document generated from the schemas, and browsable docs', async () => {
    const doc = (await server.app.inject('/api/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    const register = doc.paths['/api/v10/auth/register'].post;
    expect(register.requestBody.content['application/json'].schema.properties.username).toMatchObject({ type: 'string', maxLength: 32 });
    expect(doc.paths['/api/v10/users/@me'].patch.security).toEqual([{ token: [] }]);
    // The tus routes are listed too, though they read their headers themselves; of the HEAD
    // routes only tus's own (Fastify adds one to every GET).
    const uploads = doc.paths['/api/v10/channels/{channel_id}/uploads/{upload_id}'];
    expect(Object.keys(uploads).sort()).toEqual(['delete', 'head', 'patch']);
    expect(uploads.head.summary).toMatch(/Upload-Offset/);
    expect(Object.values(doc.paths).filter((path) => 'head' in (path as object))).toHaveLength(1);
    expect(uploads.patch).toMatchObject({ tags: ['uploads'], security: [{ token: [] }], summary: expect.stringMatching(/Append/) });
    expect(doc.paths['/api/v10/channels/{channel_id}/uploads'].post.description).toMatch(/Upload-Length/);
    const docs = await server.app.inject('/api/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('sends security headers and a strict CSP', async () => {
    const response = await server.app.inject('/api/v10/instance');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const directives = String(response.headers['content-security-policy']).split('; ');
    // Scripts from here only; WebAssembly may compile (libsodium, for call encryption) but nothing may eval JavaScript.
    expect(directives).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(directives).toContain("worker-src 'self'");
    expect(directives).toContain("frame-ancestors 'none'");
  });
});

describe('compression', () => {
  it('compresses a page of history for a client that accepts it (brotli first, else gzip), never a small answer or for one that does not', async () => {
    const { client } = await signUp(server);
    const guild = await client.request(routes.guilds.create, { body: { name: 'Compressed' } });
    const channel = (await client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } })).find((c) => c.type === 0);
    // Five: the message rate limit's burst.
    for (let i = 0; i < 5; i++)
      await client.request(routes.messages.create, { params: { channel_id: channel!.id }, body: { content: `message number ${i}: ${'some ordinary words in it, '.repeat(20)}` } });
    const url = `/api/v10/channels/${channel!.id}/messages?limit=50`;
    const headers = { authorization: client.token! };
    const plain = await server.app.inject({ url, headers });
    const brotli = await server.app.inject({ url, headers: { ...headers, 'accept-encoding': 'gzip, deflate, br' } });
    const gzip = await server.app.inject({ url, headers: { ...headers, 'accept-encoding': 'gzip' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(brotliDecompressSync(brotli.rawPayload).toString())).toEqual(plain.json());
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString())).toEqual(plain.json());
    // Several times smaller: what makes a slow link usable.
    expect(brotli.rawPayload.length * 4).toBeLessThan(plain.rawPayload.length);
    expect(brotli.headers.vary).toContain('accept-encoding');
    const small = await server.app.inject({ url: '/healthz', headers: { 'accept-encoding': 'br' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});

describe('rate limits', () => {
  it('limits sign-in attempts per IP with 429 and Retry-After', async () => {
    const limited = await startTestServer({ env: { AUTH_RATE_LIMIT_IP: '3/60' } });
    try {
      const inject = (body: object) => limited.app.inject({ method: 'POST', url: '/api/v10/auth/login', payload: body });
      for (let i = 0; i < 3; i++) expect((await inject({ login: 'someone', password: 'whatever' })).statusCode).toBe(400);
      const blocked = await inject({ login: 'someone', password: 'whatever' });
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toMatchObject({ code: 90001, global: false });
      expect(blocked.json().retry_after).toBeGreaterThan(0);
      // Registration and guests share the per-IP budget.
      expect((await limited.app.inject({ method: 'POST', url: '/api/v10/auth/guest', payload: {} })).statusCode).toBe(429);
      // Another IP is unaffected.
      const elsewhere = await limited.app.inject({ method: 'POST', url: '/api/v10/auth/guest', payload: {}, remoteAddress: '10.0.0.9' });
      expect(elsewhere.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('behind a proxy, trusts only the configured hops of X-Forwarded-For', async () => {
    const limited = await startTestServer({ env: { AUTH_RATE_LIMIT_IP: '2/60', TRUST_PROXY: '1' } });
    try {
      // The client forges the left part; the proxy (127.0.0.1) appends the real address.
      const attempt = (forged: string) => limited.app.inject({ method: 'POST', url: '/api/v10/auth/guest', payload: {}, headers: { 'x-forwarded-for': `${forged}, 203.0.113.7` } });
      expect((await attempt('1.1.1.1')).statusCode).toBe(200);
      expect((await attempt('2.2.2.2')).statusCode).toBe(200);
      expect((await attempt('3.3.3.3')).statusCode).toBe(429);
      const other = await limited.app.inject({ method: 'POST', url: '/api/v10/auth/guest', payload: {}, headers: { 'x-forwarded-for': '198.51.100.1' } });
      expect(other.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('holds back new IPs after repeated failed logins from many, even with the right password', async () => {
    const limited = await startTestServer({ env: { AUTH_RATE_LIMIT_ACCOUNT: '3/900' } });
    try {
      const { username, password } = await signUp(limited);
      const login = (pw: string, ip: string) => limited.app.inject({ method: 'POST', url: '/api/v10/auth/login', payload: { login: username, password: pw }, remoteAddress: ip });
      for (let i = 0; i < 3; i++) expect((await login('wrong guess', `10.0.1.${i}`)).statusCode).toBe(400);
      const locked = await login(password, '10.0.2.1');
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
      // Other accounts are unaffected.
      const other = await signUp(limited);
      expect(sessionOf(await limited.client().request(routes.auth.login, { body: { login: other.username, password: other.password } })).token).toBeTruthy();
    } finally {
      await limited.close();
    }
  });
});
