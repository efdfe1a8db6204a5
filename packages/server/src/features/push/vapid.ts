import { createECDH } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import webPush from 'web-push';
import type { Tables } from '../../db/tables';
import { instanceValue } from '../instance/secrets';

/** The server's VAPID key pair (base64url, as web-push and browsers take them). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** Where earlier versions kept the key pair, one per data directory. */
const EARLIER_FILE = 'vapid.json';

/**
 * The VAPID key pair, the same on every node: its private key is kept in the database
 * (instance_secrets "vapid_private_key"), made on the first start, and the public key is derived
 * from it. Browsers subscribe with the public key, so it must never change: a new one would
 * silently orphan every subscription. An install that kept the pair in DATA_DIR/vapid.json
 * moves that one into the database, so its subscriptions keep working.
 */
export async function loadVapidKeys(db: Kysely<Tables>, dataDir: string, now: number): Promise<VapidKeys> {
  // The earlier file is read only when the database has no pair yet (the first start after the upgrade).
  const privateKey = await instanceValue(db, 'vapid_private_key', now, async () => (await readEarlierFile(path.join(dataDir, EARLIER_FILE)))?.privateKey ?? webPush.generateVAPIDKeys().privateKey);
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** The P-256 public key (uncompressed, 65 bytes) of a VAPID private key. */
function publicKeyOf(privateKey: string): string {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
  return ecdh.getPublicKey().toString('base64url');
}

async function readEarlierFile(file: string): Promise<VapidKeys | null> {
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
