// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata
// API installed before the library loads (as @simplewebauthn/server does).
import 'reflect-metadata';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/** ECDSA P-256 with SHA-256: accepted by every browser, curl and node, and quick to generate. */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
/** Devices on a LAN often have clocks a little off: a certificate "not yet valid" for them would be refused. */
const BACKDATE_MS = 3600_000;

export interface SelfSigned {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
  /** The names it is valid for, as written in its subjectAltName. */
  names: { dns: string[]; ip: string[] };
}

/**
 * A self-signed server certificate for `hosts` (host names and IP addresses), always also valid
 * for localhost and 127.0.0.1 so the machine itself can connect. It is its own trust anchor: a
 * client either trusts this exact certificate (CA file) or pins its fingerprint (docs/tls.md).
 * Not a CA (basicConstraints CA:FALSE): browsers refuse a CA certificate used as a server's.
 */
export async function createSelfSigned(hosts: readonly string[], options: { days: number; now: Date }): Promise<SelfSigned> {
  const dns = unique([...hosts.filter((h) => isIP(h) === 0).map((h) => h.toLowerCase()), 'localhost']);
  const ip = unique([...hosts.filter((h) => isIP(h) !== 0), '127.0.0.1']);
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [hosts[0] ?? 'localhost'] }, { O: ['Parley (self-signed)'] }],
    notBefore: new Date(options.now.getTime() - BACKDATE_MS),
    notAfter: new Date(options.now.getTime() + options.days * 24 * 3600_000),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // Clients match the name they connected to against these, never against the CN.
      new x509.SubjectAlternativeNameExtension([...dns.map((value) => ({ type: 'dns' as const, value })), ...ip.map((value) => ({ type: 'ip' as const, value }))]),
    ],
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: certificate.toString('pem') + '\n', key, names: { dns, ip } };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
