import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyPair } from '../http/tls';
import { UsageError } from './commands';
import { runTlsCommand } from './tls';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'parley-tls-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const now = new Date('2026-01-10T12:00:00Z');
const run = (...argv: string[]) => runTlsCommand(argv, { defaultOutDir: path.join(dir, 'default'), now });

describe('tls self-signed', () => {
  it('writes a certificate for the names and addresses given (plus localhost), the key readable by its owner only', async () => {
    const lines = await run('self-signed', '--host', 'Parley.lan', '--host', '192.168.1.20', '--host', '[fd00::20]', '--out', dir, '--days', '30');
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    const pem = await readFile(certFile, 'utf8');
    const certificate = new X509Certificate(pem);

    expect(certificate.subjectAltName?.split(', ')).toEqual(['DNS:parley.lan', 'DNS:localhost', 'IP Address:192.168.1.20', 'IP Address:FD00:0:0:0:0:0:0:20', 'IP Address:127.0.0.1']);
    expect(certificate.checkHost('parley.lan')).toBe('parley.lan');
    expect(certificate.checkIP('192.168.1.20')).toBe('192.168.1.20');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.ca).toBe(false);
    expect(certificate.subject).toContain('CN=Parley.lan');
    // Backdated an hour for clocks a little behind; 30 days ahead.
    expect(new Date(certificate.validFrom).getTime()).toBe(now.getTime() - 3600_000);
    expect(new Date(certificate.validTo).getTime()).toBe(now.getTime() + 30 * 86_400_000);
    expect(certificate.verify(certificate.publicKey)).toBe(true);

    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await loadKeyPair({ certFile, keyFile })).cert).toBe(pem); // the key is this certificate's

    // The fingerprint printed is openssl's: SHA-256 of the DER, uppercase hex pairs and colons.
    const sha256 = createHash('sha256').update(certificate.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
    expect(lines).toContain(`SHA-256 fingerprint: ${sha256}`);
    expect(lines).toContain(`TLS_CERT=${certFile}`);
    expect(lines).toContain(`TLS_KEY=${keyFile}`);
  });

  it('writes to DATA_DIR/tls by default, and refuses to replace a certificate without --force', async () => {
    await run('self-signed', '--host', '10.0.0.5');
    const certFile = path.join(dir, 'default', 'cert.pem');
    const first = await readFile(certFile, 'utf8');
    expect(new X509Certificate(first).subjectAltName).toBe('DNS:localhost, IP Address:10.0.0.5, IP Address:127.0.0.1');

    await expect(run('self-signed', '--host', '10.0.0.5')).rejects.toThrow(/already exists; add --force/);
    expect(await readFile(certFile, 'utf8')).toBe(first);
    await run('self-signed', '--host', '10.0.0.5', '--force');
    expect(await readFile(certFile, 'utf8')).not.toBe(first);
  });

  it('refuses a missing or malformed host, bad days and unknown options', async () => {
    await expect(run('self-signed')).rejects.toThrow(/needs --host/);
    await expect(run('self-signed', '--host')).rejects.toThrow(/--host needs a value/);
    await expect(run('self-signed', '--host', 'not a name')).rejects.toThrow(/neither a host name nor an IP address/);
    await expect(run('self-signed', '--host', 'a.lan', '--days', '0')).rejects.toThrow(/--days must be a whole number from 1 to 825/);
    await expect(run('self-signed', '--host', 'a.lan', '--days', '826')).rejects.toThrow(/--days/);
    await expect(run('self-signed', '--host', 'a.lan', '--colour', 'blue')).rejects.toThrow(/Unknown option "--colour"/);
    await expect(run('self-signed', '--host', 'a.lan', '--days', '0')).rejects.toBeInstanceOf(UsageError);
    await expect(run('renew')).rejects.toThrow(/Unknown command "tls renew"/);
    await expect(run()).rejects.toThrow(/tls needs a command/);
  });

  it('leaves no file behind when refusing', async () => {
    await writeFile(path.join(dir, 'cert.pem'), 'keep me');
    await expect(run('self-signed', '--host', 'a.lan', '--out', dir)).rejects.toThrow(/already exists/);
    expect(await readFile(path.join(dir, 'cert.pem'), 'utf8')).toBe('keep me');
    await expect(stat(path.join(dir, 'key.pem'))).rejects.toThrow();
  });
});
