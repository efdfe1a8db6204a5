import { type PassphraseWrap, e2eeRoutes } from '@parley/protocol/e2ee';
import sodium from 'libsodium-wrappers-sumo';
import { ParleyApiError } from '../errors';
import type { RestClient } from '../rest';
import { concat, fromBase64, toBase64 } from './bytes';
import type { MlsDevice, SavedEpochs } from './mls-device';

/*
 * Key backup (issue 14: "losing every device but keeping the recovery key loses nothing"). The
 * message keys of every epoch a person's devices were in are sealed under a random 32-byte
 * backup key and kept on the server, which cannot open them. People hold the backup key as a
 * recovery key (52 characters in groups of four) and, if they choose, a passphrase that unwraps
 * it (Argon2id, libsodium's crypto_pwhash). A new device restores either way and reads the
 * history of the conversations it is added to.
 */

const NONCE_BYTES = 32;
const BACKUP_VERSION_STALE = 90076;
const NO_BACKUP = 90077;
/** Recovery keys in RFC 4648 base32 without padding, which reads aloud and types without ambiguity of case. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A wrong passphrase or recovery key, or a backup altered on the server. */
export class BackupKeyError extends Error {
  constructor() {
    super('This passphrase or recovery key does not open the key backup');
    this.name = 'BackupKeyError';
  }
}

/** What opens a backup: the recovery key, or the passphrase. */
export type BackupSecret = { recoveryKey: string } | { passphrase: string };

/** Argon2id's cost: libsodium's "moderate" (~0.7 s, 256 MiB) for people; tests may pass less. */
export interface PassphraseCost {
  opsLimit: number;
  memLimit: number;
}

export async function newBackupKey(): Promise<Uint8Array> {
  await sodium.ready;
  return sodium.randombytes_buf(sodium.crypto_aead_aegis256_KEYBYTES);
}

/** What a person typed to restore a backup: a recovery key (52 base32 characters, any spacing or case), else the passphrase. */
export function backupSecretOf(typed: string): BackupSecret {
  const clean = typed.toUpperCase().replace(/[\s-]/g, '');
  return clean.length === 52 && [...clean].every((c) => BASE32.includes(c)) ? { recoveryKey: typed } : { passphrase: typed };
}

/** The backup key as people write it down: 52 base32 characters in groups of four. */
export function formatRecoveryKey(key: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join(' ');
}

/** A recovery key as typed: spaces, dashes and case do not matter. */
export function parseRecoveryKey(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s-]/g, '');
  if (clean.length !== 52 || [...clean].some((c) => !BASE32.includes(c))) throw new BackupKeyError();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    value = (value << 5) | BASE32.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(bytes.slice(0, 32));
}

/**
 * Writes the device's message keys into the person's backup: merged with what the backup holds
 * (another device may have written keys this one lacks), and retried if another device writes
 * in between. `passphrase` (re)wraps the backup key under it; otherwise the stored wrap stays.
 */
export async function backUpKeys(rest: RestClient, device: MlsDevice, key: Uint8Array, options: { passphrase?: string; cost?: PassphraseCost } = {}): Promise<number> {
  await sodium.ready;
  const wrap = options.passphrase === undefined ? undefined : wrapKey(key, options.passphrase, options.cost ?? moderateCost());
  for (let attempt = 1; ; attempt++) {
    const current = await readBackup(rest);
    let epochs = device.exportEpochs();
    if (current) epochs = merge(open(key, current.ciphertext), epochs);
    try {
      const written = await rest.request(e2eeRoutes.putBackup, {
        body: { previous_version: current?.version ?? 0, passphrase: wrap ?? current?.passphrase ?? null, ciphertext: seal(key, epochs) },
      });
      return written.version;
    } catch (error) {
      if (!(error instanceof ParleyApiError && error.code === BACKUP_VERSION_STALE) || attempt >= 5) throw error;
    }
  }
}

/** Opens the person's backup with the recovery key or passphrase and gives its keys to the device; returns the backup key. */
export async function restoreKeys(rest: RestClient, device: MlsDevice, secret: BackupSecret): Promise<Uint8Array> {
  await sodium.ready;
  const backup = await readBackup(rest);
  if (!backup) throw new ParleyApiError(404, { code: NO_BACKUP, message: 'There is no key backup for this account.' });
  let key: Uint8Array;
  if ('recoveryKey' in secret) key = parseRecoveryKey(secret.recoveryKey);
  else if (backup.passphrase) key = unwrapKey(backup.passphrase, secret.passphrase);
  else throw new BackupKeyError();
  device.importEpochs(open(key, backup.ciphertext));
  return key;
}

async function readBackup(rest: RestClient) {
  try {
    return await rest.request(e2eeRoutes.getBackup);
  } catch (error) {
    if (error instanceof ParleyApiError && error.code === NO_BACKUP) return null;
    throw error;
  }
}

function moderateCost(): PassphraseCost {
  return { opsLimit: sodium.crypto_pwhash_OPSLIMIT_MODERATE, memLimit: sodium.crypto_pwhash_MEMLIMIT_MODERATE };
}

function seal(key: Uint8Array, epochs: SavedEpochs): string {
  const nonce = sodium.randombytes_buf(NONCE_BYTES);
  const sealed = sodium.crypto_aead_aegis256_encrypt(encoder.encode(JSON.stringify(epochs)), 'parley key backup v1', null, nonce, key);
  return toBase64(concat(nonce, sealed));
}

function open(key: Uint8Array, ciphertext: string): SavedEpochs {
  const bytes = fromBase64(ciphertext);
  try {
    const opened = sodium.crypto_aead_aegis256_decrypt(null, bytes.subarray(NONCE_BYTES), 'parley key backup v1', bytes.subarray(0, NONCE_BYTES), key);
    return JSON.parse(decoder.decode(opened)) as SavedEpochs;
  } catch {
    throw new BackupKeyError();
  }
}

function wrapKey(key: Uint8Array, passphrase: string, cost: PassphraseCost): PassphraseWrap {
  const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
  const derived = sodium.crypto_pwhash(sodium.crypto_aead_aegis256_KEYBYTES, passphrase, salt, cost.opsLimit, cost.memLimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const nonce = sodium.randombytes_buf(NONCE_BYTES);
  const wrapped = sodium.crypto_aead_aegis256_encrypt(key, 'parley backup key v1', null, nonce, derived);
  return { algorithm: 'argon2id13', salt: toBase64(salt), ops_limit: cost.opsLimit, mem_limit: cost.memLimit, wrapped_key: toBase64(concat(nonce, wrapped)) };
}

function unwrapKey(wrap: PassphraseWrap, passphrase: string): Uint8Array {
  const derived = sodium.crypto_pwhash(sodium.crypto_aead_aegis256_KEYBYTES, passphrase, fromBase64(wrap.salt), wrap.ops_limit, wrap.mem_limit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const bytes = fromBase64(wrap.wrapped_key);
  try {
    return sodium.crypto_aead_aegis256_decrypt(null, bytes.subarray(NONCE_BYTES), 'parley backup key v1', bytes.subarray(0, NONCE_BYTES), derived);
  } catch {
    throw new BackupKeyError();
  }
}

/** Both sets of keys; where both hold an epoch they hold the same key. */
function merge(a: SavedEpochs, b: SavedEpochs): SavedEpochs {
  const out: SavedEpochs = { ...a };
  for (const [channelId, epochs] of Object.entries(b)) out[channelId] = { ...out[channelId], ...epochs };
  return out;
}
