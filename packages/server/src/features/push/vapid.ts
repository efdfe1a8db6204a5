import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import webPush from 'web-push';

/** The server's VAPID key pair (base64url, as web-push and browsers take them). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

const FILE = 'vapid.json';

/**
 * The VAPID key pair in DATA_DIR/vapid.json (0600), made on the first start. Browsers subscribe
 * with the public key, so it must never change: a new one would silently orphan every
 * subscription. Several nodes starting at once on a shared data directory agree on one pair:
 * each writes its own to a temporary file and links it into place, which only the first wins.
 */
export async function loadVapidKeys(dataDir: string): Promise<VapidKeys> {
  const file = path.join(dataDir, FILE);
  const existing = await read(file);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  const keys = webPush.generateVAPIDKeys();
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ publicKey: keys.publicKey, privateKey: keys.privateKey }, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  const kept = await read(file);
  if (!kept) throw new Error(`${file} holds no VAPID key pair`);
  return kept;
}

async function read(file: string): Promise<VapidKeys | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<VapidKeys>;
  if (typeof parsed.publicKey !== 'string' || typeof parsed.privateKey !== 'string') throw new Error(`${file} holds no VAPID key pair`);
  return { publicKey: parsed.publicKey, privateKey: parsed.privateKey };
}
