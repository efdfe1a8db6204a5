import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Server as TlsServer, createSecureContext } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';

/** Where the certificate and key come from: TLS_CERT and TLS_KEY (config.ts). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The PEM texts, as node:tls and node:https take them. */
export interface KeyPair {
  cert: string;
  key: string;
}

/**
 * The SHA-256 fingerprint of a certificate (the first one of a PEM chain: the leaf), as
 * uppercase hex pairs joined by colons, exactly as `openssl x509 -noout -fingerprint -sha256`
 * and node's `getPeerCertificate().fingerprint256` print it. Clients that pin a self-signed
 * certificate on first use compare this value (docs/tls.md).
 */
export function certificateFingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256;
}

/**
 * Reads and checks the certificate and its key. Throws a message naming the variable and the
 * file at fault: at start that stops the server with a clear error, on reload it is logged
 * and the certificate in use stays.
 */
export async function loadKeyPair(files: TlsFiles): Promise<KeyPair> {
  const read = (file: string, name: string) =>
    readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`${name}: cannot read ${file} (${error.code ?? error.message})`);
    });
  // One after the other, so that with both missing the error names the certificate every time.
  const cert = await read(files.certFile, 'TLS_CERT');
  const key = await read(files.keyFile, 'TLS_KEY');
  try {
    new X509Certificate(cert);
  } catch {
    throw new Error(`TLS_CERT: ${files.certFile} holds no PEM certificate`);
  }
  try {
    // What the server would do with them, done now: an unreadable key, or a key that is not
    // the certificate's, fails here rather than at the first connection.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(`TLS_KEY: ${files.keyFile} is not a usable key for ${files.certFile} (${(error as Error).message})`);
  }
  return { cert, key };
}

/** What to log about the certificate in use, so an operator can compare what clients pinned. */
export function describeCertificate(pem: string): { fingerprint: string; validTo: string } {
  const certificate = new X509Certificate(pem);
  return { fingerprint: certificate.fingerprint256, validTo: new Date(certificate.validTo).toISOString() };
}

/**
 * Reads the files again and, when they are good, gives new connections the new certificate
 * (connections already open keep theirs). A broken file is logged and the old certificate
 * stays: a renewal gone wrong must not take the server down.
 */
export async function reloadKeyPair(server: TlsServer, files: TlsFiles, log: FastifyBaseLogger): Promise<boolean> {
  try {
    const pair = await loadKeyPair(files);
    server.setSecureContext(pair);
    log.info(describeCertificate(pair.cert), 'TLS certificate reloaded');
    return true;
  } catch (error) {
    log.error({ err: error }, `TLS certificate not reloaded, the previous one stays in use: ${(error as Error).message}`);
    return false;
  }
}
