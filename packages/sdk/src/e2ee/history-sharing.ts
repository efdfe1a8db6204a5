import sodium from 'libsodium-wrappers-sumo';
import { fromBase64, toBase64 } from './bytes';
import type { MlsDevice, SavedEpochs } from './mls-device';

/*
 * History between a person's own devices (docs/e2ee.md): a new device reads what was sent
 * before it joined once one of the person's existing devices approves it. The new device makes
 * a key pair (X25519) and asks with its public key; the approving device seals the message keys
 * of every epoch it holds (and the backup key, if it keeps the backup) to that key with
 * libsodium's crypto_box_seal. A server that swapped the public key for its own would get the
 * keys, so both devices show a code made from the key the request carries, and the person
 * approves only when the two codes match.
 */

/** What the approving device sends: the history's keys, and the backup key so the new device keeps the backup current. */
interface SharedHistory {
  epochs: SavedEpochs;
  backup_key: string | null;
}

export interface HistoryKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export function newHistoryKeyPair(): HistoryKeyPair {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, privateKey };
}

/**
 * The code both devices show for a request: four groups of five digits from the public key
 * (SHA-512), about 66 bits: too many for a server to find another key that shows the same.
 */
export function historyCode(publicKey: string): string {
  const hash = sodium.crypto_hash_sha512(`parley history request v1\n${publicKey}`);
  const groups: string[] = [];
  for (let i = 0; i < 4; i++) {
    const chunk = hash.subarray(i * 5, i * 5 + 5);
    const value = chunk.reduce((n, byte) => n * 256 + byte, 0);
    groups.push(String(value % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}

/** Seals what this device knows of the history to the asking device's public key. */
export function sealHistory(device: MlsDevice, backupKey: Uint8Array | null, publicKey: string): string {
  const shared: SharedHistory = { epochs: device.exportEpochs(), backup_key: backupKey && toBase64(backupKey) };
  return toBase64(sodium.crypto_box_seal(JSON.stringify(shared), fromBase64(publicKey)));
}

/** What the approving device signs: the request it answers, the key it sealed to, and what it sealed. */
export function historySigned(requestId: string, publicKey: string, sealed: string): Uint8Array {
  return new TextEncoder().encode(`parley history v1\n${requestId}\n${publicKey}\n${sealed}`);
}

/** Opens what another device sealed to this one's request; throws if it was not sealed to this key pair. */
export function openHistory(sealed: string, keys: HistoryKeyPair): { epochs: SavedEpochs; backupKey: Uint8Array | null } {
  const opened = sodium.crypto_box_seal_open(fromBase64(sealed), keys.publicKey, keys.privateKey, 'text');
  const shared = JSON.parse(opened) as SharedHistory;
  return { epochs: shared.epochs, backupKey: shared.backup_key === null ? null : fromBase64(shared.backup_key) };
}
