import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { createSelfSigned } from '../cli/self-signed';
import { certificateFingerprint, loadKeyPair, reloadKeyPair } from './tls';

let dir: string;
let first: { cert: string; key: string };
let second: { cert: string; key: string };
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'parley-tls-'));
  const now = new Date();
  // Only the PEM texts: what loadKeyPair returns and the server takes.
  [first, second] = (await Promise.all([createSelfSigned(['a.lan'], { days: 1, now }), createSelfSigned(['b.lan'], { days: 1, now })])).map(({ cert, key }) => ({ cert, key })) as [
    typeof first,
    typeof second,
  ];
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function files(cert: string, key: string) {
  const certFile = path.join(dir, `cert-${Math.random()}.pem`);
  const keyFile = path.join(dir, `key-${Math.random()}.pem`);
  await writeFile(certFile, cert);
  await writeFile(keyFile, key);
  return { certFile, keyFile };
}

describe('certificateFingerprint', () => {
  it("is the leaf's SHA-256 as colon-separated uppercase hex, whatever follows it in the PEM", () => {
    const fingerprint = certificateFingerprint(first.cert);
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(certificateFingerprint(first.cert + second.cert)).toBe(fingerprint);
    expect(certificateFingerprint(Buffer.from(first.cert))).toBe(fingerprint);
    expect(certificateFingerprint(second.cert)).not.toBe(fingerprint);
  });
});

describe('loadKeyPair', () => {
  it('reads a matching certificate and key', async () => {
    expect(await loadKeyPair(await files(first.cert, first.key))).toEqual(first);
  });

  it('names the variable and the file at fault', async () => {
    await expect(loadKeyPair({ certFile: path.join(dir, 'missing.pem'), keyFile: path.join(dir, 'missing-key.pem') })).rejects.toThrow(/^TLS_CERT: cannot read .*missing\.pem \(ENOENT\)/);
    await expect(loadKeyPair(await files('not a certificate', first.key))).rejects.toThrow(/^TLS_CERT: .* holds no PEM certificate/);
    await expect(loadKeyPair(await files(first.cert, 'not a key'))).rejects.toThrow(/^TLS_KEY: .* is not a usable key/);
    // A good key, but another certificate's.
    await expect(loadKeyPair(await files(first.cert, second.key))).rejects.toThrow(/^TLS_KEY: .* is not a usable key/);
  });
});

describe('reloadKeyPair', () => {
  it('gives the server the new pair when it is good, and keeps the old one (logging why) when not', async () => {
    const server = createServer(first);
    const setSecureContext = vi.spyOn(server, 'setSecureContext');
    const log = { info: vi.fn(), error: vi.fn() };
    const logger = log as unknown as FastifyBaseLogger;

    expect(await reloadKeyPair(server, await files(second.cert, first.key), logger)).toBe(false);
    expect(setSecureContext).not.toHaveBeenCalled();
    expect(log.error).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/^TLS certificate not reloaded, the previous one stays in use: TLS_KEY/));

    expect(await reloadKeyPair(server, await files(second.cert, second.key), logger)).toBe(true);
    expect(setSecureContext).toHaveBeenCalledWith(second);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ fingerprint: certificateFingerprint(second.cert) }), 'TLS certificate reloaded');
  });
});
