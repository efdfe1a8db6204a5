import { chmod, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { certificateFingerprint } from '../http/tls';
import { UsageError } from './commands';
import { createSelfSigned } from './self-signed';

/** A host name as DNS allows it (letters, digits, hyphens; dot-separated labels of 1–63). */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const MAX_DAYS = 825;

export interface TlsCommandOptions {
  /** Where files go without --out: DATA_DIR/tls. */
  defaultOutDir: string;
  now: Date;
}

/**
 * `tls self-signed --host <name or IP> [--host …] [--out DIR] [--days N] [--force]`: writes
 * cert.pem and key.pem (0600) for a LAN, and returns the lines to print: the fingerprint
 * people compare on first connection, and the environment to set. Needs no database.
 */
export async function runTlsCommand(argv: readonly string[], options: TlsCommandOptions): Promise<string[]> {
  const [action, ...rest] = argv;
  if (action !== 'self-signed') throw new UsageError(action ? `Unknown command "tls ${argv.join(' ')}".` : 'tls needs a command: self-signed.');
  const { hosts, outDir, days, force } = parseArgs(rest, options.defaultOutDir);

  const certFile = path.join(outDir, 'cert.pem');
  const keyFile = path.join(outDir, 'key.pem');
  // Clients that pinned the old certificate refuse a new one: replacing it is a decision.
  if (!force) {
    for (const file of [certFile, keyFile]) {
      if (await exists(file))
        throw new UsageError(`${file} already exists; add --force to replace it (clients that pinned the old certificate will then refuse to connect until they accept the new one).`);
    }
  }
  const generated = await createSelfSigned(hosts, { days, now: options.now });
  await mkdir(outDir, { recursive: true });
  // Key first, and each file whole (written beside, then renamed): a server reloading on SIGHUP
  // meanwhile reads either the old file or the new one, never half of one.
  await writeWhole(keyFile, generated.key, 0o600);
  await writeWhole(certFile, generated.cert, 0o644);

  return [
    `Wrote ${certFile} (valid ${days} days) and ${keyFile} (readable by you only).`,
    `Valid for: ${[...generated.names.dns, ...generated.names.ip].join(', ')}`,
    `SHA-256 fingerprint: ${certificateFingerprint(generated.cert)}`,
    '',
    'Set these for `npm start` (HTTP_REDIRECT_PORT is optional: plain HTTP there redirects to HTTPS):',
    `TLS_CERT=${certFile}`,
    `TLS_KEY=${keyFile}`,
    '',
    'A running server picks new files up on SIGHUP. People check the fingerprint above on first connection (docs/tls.md).',
  ];
}

function parseArgs(args: readonly string[], defaultOutDir: string): { hosts: string[]; outDir: string; days: number; force: boolean } {
  const hosts: string[] = [];
  let outDir = defaultOutDir;
  let days = 365;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--force') {
      force = true;
      continue;
    }
    const value = args[i + 1];
    if (!['--host', '--out', '--days'].includes(flag)) throw new UsageError(`Unknown option "${flag}".`);
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value.`);
    i++;
    if (flag === '--host') hosts.push(parseHost(value));
    else if (flag === '--out') outDir = path.resolve(value);
    else days = parseDays(value);
  }
  if (hosts.length === 0) throw new UsageError('tls self-signed needs --host <name or IP address> (the address people type to reach this machine).');
  return { hosts, outDir, days, force };
}

function parseHost(value: string): string {
  const host = value.replace(/^\[(.*)\]$/, '$1'); // [::1] as in a URL
  if (isIP(host) === 0 && !HOST_NAME.test(host)) throw new UsageError(`--host "${value}" is neither a host name nor an IP address.`);
  return host;
}

function parseDays(value: string): number {
  const days = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  // Apple's platforms refuse server certificates valid for more than 825 days.
  if (!(days >= 1 && days <= MAX_DAYS)) throw new UsageError(`--days must be a whole number from 1 to ${MAX_DAYS}.`);
  return days;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function writeWhole(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  // The mode above is masked by the umask; set it exactly (a key must never be world-readable,
  // nor a certificate unreadable by the account that runs the server).
  await chmod(temporary, mode);
  await rename(temporary, file);
}
