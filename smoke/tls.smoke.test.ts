import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewaySocket, uniqueUsername } from './client';
import { type RunningParley, startParley } from './npm-start';

/**
 * HTTPS without a proxy, against the real `npm start`: a certificate made by the built CLI
 * (`npm run parley -- tls self-signed`), TLS_CERT / TLS_KEY / HTTP_REDIRECT_PORT set, then
 * HTTPS, the gateway over WSS, the plain-HTTP redirect, and a certificate swapped on SIGHUP
 * while the process keeps running.
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// This suite's own ports (28400–28499), so it runs beside the others.
const PORT = 28443;
const REDIRECT_PORT = 28480;
const origin = `https://127.0.0.1:${PORT}`;

let dir: string;
let certFile: string;
let keyFile: string;
let firstCert: string;
let firstFingerprint: string;
let parley: RunningParley;
const sockets: GatewaySocket[] = [];

/** `npm run parley -- tls self-signed …` as the built CLI runs it; returns the fingerprint it printed. */
async function selfSigned(...extra: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['packages/server/dist/cli.js', 'tls', 'self-signed', '--host', '127.0.0.1', '--out', dir, ...extra], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(stdout).toContain(`TLS_CERT=${certFile}`);
  return /SHA-256 fingerprint: ([0-9A-F:]{95})/.exec(stdout)![1]!;
}

interface HttpsAnswer {
  status: number;
  json: unknown;
  fingerprint: string;
}

/** One request on a connection of its own (no keep-alive: a reload shows on the next connection). */
function request(pathname: string, options: { ca: string; method?: string; body?: unknown; token?: string }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      `${origin}${pathname}`,
      {
        ca: options.ca,
        agent: false,
        method: options.method ?? 'GET',
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(options.token ? { authorization: options.token } : {}) },
        timeout: 10_000,
      },
      (response) => {
        const fingerprint = (response.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, json: text ? (JSON.parse(text) as unknown) : undefined, fingerprint }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${pathname} within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-smoke-tls-'));
  certFile = path.join(dir, 'cert.pem');
  keyFile = path.join(dir, 'key.pem');
  firstFingerprint = await selfSigned();
  firstCert = fs.readFileSync(certFile, 'utf8');
  // LOG_LEVEL info: the reload is reported at info, and the test waits for that line.
  parley = await startParley({ port: PORT, ca: firstCert, env: { TLS_CERT: certFile, TLS_KEY: keyFile, HTTP_REDIRECT_PORT: String(REDIRECT_PORT), LOG_LEVEL: 'info' } });
});
afterAll(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await parley?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TLS without a proxy', () => {
  it('serves HTTPS on PORT with the certificate from TLS_CERT, and only to clients that trust it', async () => {
    expect(parley.baseUrl).toBe(origin);
    const answer = await request('/readyz', { ca: firstCert });
    expect(answer).toMatchObject({ status: 200, json: { status: 'ready' }, fingerprint: firstFingerprint });
    // Without the certificate as CA, a client refuses the self-signed server.
    await expect(fetch(`${origin}/readyz`)).rejects.toThrow();
  });

  it('runs the gateway over WSS exactly as over WS: HELLO, IDENTIFY, READY', async () => {
    const discovery = await request('/api/v10/gateway', { ca: firstCert });
    expect(discovery.json).toEqual({ url: `wss://127.0.0.1:${PORT}/gateway` });

    const username = uniqueUsername('tls');
    const registered = await request('/api/v10/auth/register', { ca: firstCert, method: 'POST', body: { username, password: 'smoke test password' } });
    expect(registered.status).toBe(200);
    const { token, user_id } = registered.json as { token: string; user_id: string };

    const socket = await GatewaySocket.open(`${(discovery.json as { url: string }).url}?v=10&encoding=json`, { ca: firstCert });
    sockets.push(socket);
    const hello = await socket.next((f) => f.op === 10, 0, 'HELLO');
    expect((hello.d as { heartbeat_interval: number }).heartbeat_interval).toBeGreaterThan(0);
    socket.send({ op: 2, d: { token, properties: { os: 'linux', browser: 'smoke', device: 'smoke' } } });
    const ready = await socket.dispatch('READY');
    expect((ready.d as { user: { id: string; username: string } }).user).toMatchObject({ id: user_id, username });
  });

  it('answers plain HTTP on HTTP_REDIRECT_PORT with 308 to the same path over HTTPS on PORT', async () => {
    for (const [method, target] of [
      ['GET', '/channels/@me?tab=all'],
      ['POST', '/api/v10/auth/login'],
    ] as const) {
      const answer = await fetch(`http://127.0.0.1:${REDIRECT_PORT}${target}`, { method, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      await answer.arrayBuffer();
      expect(answer.status).toBe(308);
      expect(answer.headers.get('location')).toBe(`${origin}${target}`);
    }
    // And PORT itself speaks no plain HTTP.
    await expect(fetch(`http://127.0.0.1:${PORT}/readyz`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow();
  });

  it('on SIGHUP, keeps the certificate when the new file is broken, and serves a good new one to new connections without restarting', async () => {
    // A WSS session opened before the swap: it must live through both reloads.
    const socket = await GatewaySocket.open(`wss://127.0.0.1:${PORT}/gateway?v=10&encoding=json`, { ca: firstCert });
    sockets.push(socket);
    await socket.next((f) => f.op === 10, 0, 'HELLO');

    fs.writeFileSync(certFile, 'half a certificate\n');
    const refused = parley.waitForOutput('TLS certificate not reloaded');
    parley.signalServer('SIGHUP');
    await refused;
    expect((await request('/readyz', { ca: firstCert })).fingerprint).toBe(firstFingerprint);

    const secondFingerprint = await selfSigned('--force');
    expect(secondFingerprint).not.toBe(firstFingerprint);
    const secondCert = fs.readFileSync(certFile, 'utf8');
    const reloaded = parley.waitForOutput('TLS certificate reloaded');
    parley.signalServer('SIGHUP');
    await reloaded;
    expect(parley.output()).toContain(secondFingerprint); // logged, for operators comparing with what clients pinned

    const answer = await request('/readyz', { ca: secondCert });
    expect(answer).toMatchObject({ status: 200, fingerprint: secondFingerprint });
    // A client that trusts only the old certificate now refuses the server: what pinning is for.
    await expect(request('/readyz', { ca: firstCert })).rejects.toThrow();

    expect(parley.hasEnded()).toBe(false);
    const from = socket.frames.length;
    socket.send({ op: 1, d: null });
    await socket.next((f) => f.op === 11, from, 'HEARTBEAT_ACK');
  });
});
