import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectionsFor, presentedCertificate } from '../src/trust';

/**
 * The terminal client's trust in a LAN server's self-signed certificate, against the real
 * server as `npm start` runs it over TLS (packages/server/dist: `npm run build` first) with a
 * certificate made by `npm run parley -- tls self-signed`: pinned on first use, accepted
 * afterwards, a swapped certificate (SIGHUP) refused loudly, `--ca` trusted.
 */
const PORT = 28650 + Math.floor(Math.random() * 50);
const SERVER = `https://127.0.0.1:${PORT}`;
const root = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'parley-tui-tls-'));
const knownServers = join(dir, 'config', 'parley', 'known_servers.json');
let server: ChildProcess;

/** The built CLI's `tls self-signed`; returns the fingerprint it printed. */
function selfSigned(...extra: string[]): string {
  const out = execFileSync(process.execPath, ['packages/server/dist/cli.js', 'tls', 'self-signed', '--host', '127.0.0.1', '--out', dir, ...extra], { cwd: root, encoding: 'utf8' });
  return /SHA-256 fingerprint: ([0-9A-F:]{95})/.exec(out)![1]!;
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let firstFingerprint: string;

beforeAll(async () => {
  firstFingerprint = selfSigned();
  server = spawn(process.execPath, ['packages/server/dist/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), TLS_CERT: join(dir, 'cert.pem'), TLS_KEY: join(dir, 'key.pem'), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  await until(async () => (await presentedCertificate('127.0.0.1', PORT)).fingerprint256 === firstFingerprint, 'the server over TLS');
}, 60_000);

afterAll(() => {
  server?.kill();
});

it('pins a self-signed certificate on first use, refuses a changed one, trusts --ca', async () => {
  const first = await connectionsFor(SERVER, { knownServers });
  expect(first.notice).toContain(firstFingerprint);
  expect(JSON.parse(readFileSync(knownServers, 'utf8'))[`127.0.0.1:${PORT}`].fingerprint256).toBe(firstFingerprint);
  const gateway = (await (await first.fetch(`${SERVER}/api/v10/gateway`)).json()) as { url: string };
  expect(gateway.url).toMatch(/^wss:\/\//);
  // The gateway through the same trust: HELLO arrives.
  const hello = await new Promise<string>((resolve, reject) => {
    const socket = new first.WebSocket(gateway.url);
    socket.onmessage = (event) => {
      resolve(String(event.data));
      socket.close();
    };
    socket.onerror = () => reject(new Error('no WSS connection'));
  });
  expect(JSON.parse(hello).op).toBe(10);

  const again = await connectionsFor(SERVER, { knownServers });
  expect(again.notice).toBeNull();

  // The operator (or an impostor) swaps the certificate: the pinned client refuses it.
  const secondFingerprint = selfSigned('--force');
  server.kill('SIGHUP');
  await until(async () => (await presentedCertificate('127.0.0.1', PORT)).fingerprint256 === secondFingerprint, 'the new certificate');
  await expect(connectionsFor(SERVER, { knownServers })).rejects.toThrow(/CHANGED[\s\S]*pinned: +SHA-256 [\s\S]*presented: SHA-256/);
  // What a user sees: the client exits with the warning, before signing in.
  const run = promisify(execFile)(process.execPath, ['packages/tui/bin/parley-chat.mjs', '--server', SERVER, '--guest'], {
    cwd: root,
    env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') },
  });
  await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`WARNING: the certificate of 127.0.0.1:${PORT} has CHANGED`) });

  // --ca: the operator handed out the new certificate.
  const withCa = await connectionsFor(SERVER, { caFile: join(dir, 'cert.pem'), knownServers });
  expect((await withCa.fetch(`${SERVER}/api/v10/gateway`)).status).toBe(200);
}, 60_000);
