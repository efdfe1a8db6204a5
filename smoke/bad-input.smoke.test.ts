import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, call, expectApiError, jsonInit, rawExchange, register } from './client';
import { type RunningParley, startParley } from './npm-start';

/**
 * Bad input of every kind, sent to the real `npm start` over HTTP, gets the status and body
 * docs/errors.md documents: `{code, message, errors?}`, never a 500, never a framework code.
 * (The in-process suite, packages/server/src/http/bad-input.test.ts, walks every route; this
 * checks that the shipped process, composed as it runs in production, answers the same way.)
 */
let parley: RunningParley;
let token: string;

beforeAll(async () => {
  parley = await startParley();
  ({ token } = await register(parley.baseUrl, 'badinput'));
});
afterAll(() => parley?.stop());

const api = (path: string, init?: RequestInit): Promise<Answer> => call(parley.baseUrl, `/api/v10${path}`, init);
const withToken = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), authorization: token } });

describe('bodies', () => {
  it('a body that fails its schema: 400 50035 naming each field', async () => {
    const body = expectApiError(await api('/auth/register', jsonInit('POST', { username: 'a' })), 400, 50035, ['username', 'password']);
    expect(body.errors).toMatchObject({
      username: { _errors: [{ code: 'BASE_TYPE_MIN_LENGTH' }] },
      password: { _errors: [{ code: 'BASE_TYPE_REQUIRED' }] },
    });
    expect(body.message).toContain('username');
  });

  it('a field of the wrong type: 400 50035', async () => {
    expectApiError(await api('/auth/register', jsonInit('POST', { username: ['x'], password: 'long enough password' })), 400, 50035, ['username']);
    expectApiError(await api('/guilds', withToken(jsonInit('POST', { name: 42 }))), 400, 50035, ['name']);
  });

  it('JSON of the wrong type (array, string, number, boolean, null): 400 50035', async () => {
    for (const payload of ['[]', '"text"', '42', 'true', 'null', '[{"username":"abc"}]']) {
      expectApiError(await api('/auth/register', jsonInit('POST', payload)), 400, 50035);
      expectApiError(await api('/guilds', withToken(jsonInit('POST', payload))), 400, 50035);
    }
  });

  it('unparsable JSON: 400 50109', async () => {
    for (const payload of ['{"username": ', '{username: "abc"}', "{'a': 1}", '{"a":1}}']) {
      expectApiError(await api('/auth/register', jsonInit('POST', payload)), 400, 50109);
    }
  });

  it('an empty body declared as JSON: 400 50109', async () => {
    expectApiError(await api('/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' } }), 400, 50109);
  });

  it('a JSON body over the 256 KiB limit: 413 40005', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(300 * 1024), password: 'long enough password' });
    expectApiError(await api('/auth/register', jsonInit('POST', big)), 413, 40005);
  });

  it('a body over the limit streamed without a Content-Length: 413 40005', async () => {
    // Chunked, so the server only learns the size by reading: it must cut the body off at 256 KiB.
    // Exactly one byte over, and nothing after it (not even the chunk's CRLF), so the server has
    // read everything we sent when it answers and closes: the answer can't be lost to a reset.
    const limit = 256 * 1024;
    const head = ['POST /api/v10/auth/register HTTP/1.1', `Host: ${new URL(parley.baseUrl).host}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', '', ''].join('\r\n');
    const answer = await rawExchange(parley.baseUrl, [head, `${(limit + 1).toString(16)}\r\n`, '"'.padEnd(limit + 1, 'x')]);
    expectApiError(answer, 413, 40005);
  });

  it('a content type the route does not take: 415 90415', async () => {
    expectApiError(await api('/auth/register', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=abc' }), 415, 90415);
    expectApiError(await api('/auth/register', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<username>abc</username>' }), 415, 90415);
    expectApiError(await api('/auth/register', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"username":"abc"}' }), 415, 90415);
    // The raw avatar upload takes images only.
    expectApiError(await api('/users/@me/avatar', withToken(jsonInit('PUT', '{}'))), 415, 90415);
  });
});

describe('paths and queries', () => {
  it('a path parameter that is not an ID: 400 50035 naming it', async () => {
    for (const id of ['not-a-snowflake', '-1', '1'.repeat(30), '99999999999999999999']) {
      expectApiError(await api(`/channels/${id}/messages`, withToken()), 400, 50035, ['channel_id']);
    }
    expectApiError(await api('/guilds/abc', withToken()), 400, 50035, ['guild_id']);
  });

  it('a query parameter of the wrong type or out of range: 400 50035 naming it', async () => {
    const body = expectApiError(await api('/channels/123/messages?limit=abc', withToken()), 400, 50035, ['limit']);
    expect(body.errors).toMatchObject({ limit: { _errors: [{ code: 'BASE_TYPE_INVALID' }] } });
    const tooMany = expectApiError(await api('/channels/123/messages?limit=500', withToken()), 400, 50035, ['limit']);
    expect(tooMany.errors).toMatchObject({ limit: { _errors: [{ code: 'NUMBER_TYPE_MAX' }] } });
    expectApiError(await api('/channels/123/messages?before=yesterday', withToken()), 400, 50035, ['before']);
  });

  it('a well-formed ID of nothing: 404 with its own code', async () => {
    expectApiError(await api('/channels/123/messages', withToken()), 404, 10003);
    expectApiError(await api('/guilds/123', withToken()), 404, 10004);
  });

  it('an undecodable URL: 400 90400', async () => {
    expectApiError(await api('/channels/%E0%A4%A/messages', withToken()), 400, 90400);
  });

  it('an unknown API route: 404 with code 0 (docs/errors.md: UNKNOWN_ROUTE)', async () => {
    const body = expectApiError(await api('/nonexistent'), 404, 0);
    expect(body.message).toBe('404: Not Found');
    expectApiError(await api('/nonexistent', withToken(jsonInit('POST', { a: 1 }))), 404, 0);
    expectApiError(await call(parley.baseUrl, '/api/v9/users/@me', withToken()), 404, 0);
  });

  it('a method the route does not have: 404 with code 0 (no 405)', async () => {
    expectApiError(await api('/auth/register', jsonInit('PUT', { username: 'abc' })), 404, 0);
    expectApiError(await api('/gateway', { method: 'DELETE' }), 404, 0);
  });
});

describe('authentication', () => {
  it('no token: 401 with code 0', async () => {
    const body = expectApiError(await api('/users/@me'), 401, 0);
    expect(body.message).toBe('401: Unauthorized');
    expectApiError(await api('/guilds', jsonInit('POST', { name: 'No token' })), 401, 0);
  });

  it('a malformed, unknown or wrongly prefixed token: 401 with code 0', async () => {
    for (const authorization of ['x', 'Bearer nope', `Bot ${token}`, `${token}x`, 'a'.repeat(2000)]) {
      expectApiError(await api('/users/@me', { headers: { authorization } }), 401, 0);
    }
  });

  it('the token that works still works after all of the above', async () => {
    const answer = await api('/users/@me', withToken());
    expect(answer.status, answer.text).toBe(200);
    expect((answer.json as { username: string }).username).toMatch(/^badinput_/);
  });
});

describe('operations', () => {
  it('liveness and readiness answer 200', async () => {
    expect((await call(parley.baseUrl, '/healthz')).json).toEqual({ status: 'ok' });
    expect((await call(parley.baseUrl, '/readyz')).json).toEqual({ status: 'ready' });
  });
});
