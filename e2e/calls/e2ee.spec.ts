import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { CONTENT_SECURITY_POLICY } from '../../packages/server/src/http/security';
import { expect, test } from '../fixtures';
import type { E2eeLab, PeerState } from './e2ee-lab';

/**
 * End-to-end encryption of call media in real Chromium: the web client's E2EE module (and its
 * frame worker) bundled on its own, serving a page where Alice and Bob hold a call over
 * loopback with fake devices. The page needs no Parley server: this checks what the browser does
 * with frames and keys; the signaling is tested with the call engine.
 */

/** Enough frames that "none decoded" means none will be, not "none yet" (audio alone is 50 a second). */
const PLENTY = 150;

let outDir: string;
let server: http.Server;
let labUrl: string;

test.beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2ee-lab-'));
  await build({
    entryPoints: { lab: path.join(import.meta.dirname, 'e2ee-lab.ts'), worker: 'packages/web/src/features/calls/e2ee/worker.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outdir: outDir,
    logLevel: 'error',
  });
  const files: Record<string, { file: string; type: string }> = {
    '/': { file: 'index.html', type: 'text/html' },
    '/lab.js': { file: 'lab.js', type: 'text/javascript' },
    // The module creates its worker from new URL('./worker.ts', import.meta.url), as Vite bundles it.
    '/worker.ts': { file: 'worker.js', type: 'text/javascript' },
  };
  fs.writeFileSync(path.join(outDir, 'index.html'), '<!doctype html><title>E2EE lab</title><script type="module" src="/lab.js"></script>');
  server = http.createServer((request, response) => {
    const served = files[request.url ?? ''];
    if (!served) return void response.writeHead(404).end();
    // Parley's own policy: libsodium's WebAssembly and the frame worker must run under it.
    response.writeHead(200, { 'content-type': served.type, 'content-security-policy': CONTENT_SECURITY_POLICY });
    fs.createReadStream(path.join(outDir, served.file)).pipe(response);
  });
  // A port the system picks: parallel workers (or --repeat-each) each get their own lab.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  labUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  fs.rmSync(outDir, { recursive: true, force: true });
});

type Lab = { e2eeLab: E2eeLab };
type Call = { alice: PeerState; bob: PeerState };

test('a call encrypts every frame, a screen share too, both peers decrypt them all, and a rotated key takes over', async ({ page }) => {
  await page.goto(labUrl);
  const codes = await page.evaluate(() => (window as unknown as Lab).e2eeLab.call({ impostor: false }));
  // Everyone saw the same public keys: the same code on both screens.
  expect(codes.aliceCode).toMatch(/^\d{5}( \d{5}){4}$/);
  expect(codes.bobCode).toBe(codes.aliceCode);

  const state = () => page.evaluate(() => (window as unknown as Lab).e2eeLab.state());
  const flowing = (peer: PeerState, from: string) =>
    peer.connection === 'connected' && peer.audioBytesReceived > 0 && peer.videoFramesDecoded > 0 && (peer.counters.received[from]?.decrypted ?? 0) > PLENTY;
  await expect
    .poll(
      async () => {
        const { alice, bob } = await state();
        return flowing(alice, '1002') && flowing(bob, '1001');
      },
      { timeout: 20_000 },
    )
    .toBe(true);

  const call: Call = await state();
  for (const [peer, from] of [
    [call.alice, '1002'],
    [call.bob, '1001'],
  ] as const) {
    expect(peer.codecs).toEqual(['audio/opus', 'video/VP8']);
    expect(peer.counters.sent.encrypted).toBeGreaterThan(PLENTY);
    expect(peer.counters.sent.failed).toBe(0);
    expect(peer.counters.received[from]?.failed).toBe(0);
  }

  // Alice shares her screen: a transceiver added mid-call is encrypted too.
  await page.evaluate(() => (window as unknown as Lab).e2eeLab.shareScreen());
  await expect.poll(async () => (await state()).bob.videosDecoding, { timeout: 15_000 }).toBe(2);
  const sharing = await state();
  expect(sharing.bob.counters.received['1001']?.failed).toBe(0);
  expect(sharing.alice.counters.sent.failed).toBe(0);

  // Alice rotates (someone left) without sending Bob her new key: once she switches, Bob can open nothing of hers.
  await page.evaluate(() => (window as unknown as Lab).e2eeLab.rotateAlice());
  await expect.poll(async () => (await state()).bob.counters.received['1001']?.failed ?? 0, { timeout: 10_000 }).toBeGreaterThan(PLENTY);
  const stalled = (await state()).bob;
  // Her new key arrives: Bob decrypts again, video included (he asked for a key frame).
  expect(await page.evaluate(() => (window as unknown as Lab).e2eeLab.sendAliceKeyToBob())).toBe(true);
  await expect
    .poll(
      async () => {
        const { bob } = await state();
        return (bob.counters.received['1001']?.decrypted ?? 0) - (stalled.counters.received['1001']?.decrypted ?? 0) > PLENTY && bob.videoFramesDecoded > stalled.videoFramesDecoded;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
});

test('a client holding the wrong key decodes nothing, and its verification code differs', async ({ page }) => {
  await page.goto(labUrl);
  const codes = await page.evaluate(() => (window as unknown as Lab).e2eeLab.call({ impostor: true }));
  expect(codes.impostorClaimRefused).toBe(true);
  expect(codes.bobCode).not.toBe(codes.aliceCode);

  const state = () => page.evaluate(() => (window as unknown as Lab).e2eeLab.state());
  // The call itself works (Alice decrypts Bob) while every frame Bob gets from Alice fails and is dropped.
  await expect
    .poll(
      async () => {
        const { alice, bob } = await state();
        return alice.videoFramesDecoded > 0 && (alice.counters.received['1002']?.decrypted ?? 0) > PLENTY && (bob.counters.received['1001']?.failed ?? 0) > PLENTY;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  const { bob } = await state();
  expect(bob.connection).toBe('connected');
  expect(bob.audioBytesReceived).toBeGreaterThan(0);
  expect(bob.counters.received['1001']?.decrypted).toBe(0);
  expect(bob.videoFramesDecoded).toBe(0);
});
