import type { RtcSignalBody } from '@parley/protocol';

/**
 * End-to-end encryption of call media, the browser side (docs/calls-e2ee.md). Every encoded
 * frame is encrypted in a worker (RTCRtpScriptTransform) with AEGIS-256 under a random key per
 * sender; peers exchange those keys sealed with crypto_box to each other's per-call X25519
 * keys, so the server only ever relays ciphertext. libsodium is loaded on first use: nothing
 * here weighs on the chat screen until a call starts.
 */

/** A media key sealed for one peer: the `key` of an RTC_SIGNAL of type 'media_key'. */
export type SealedKey = Extract<RtcSignalBody, { type: 'media_key' }>['key'];

/** Frames this browser encrypted (sent) or decrypted from one peer (received); failed frames were dropped. */
export interface E2eeCounters {
  encrypted: number;
  decrypted: number;
  failed: number;
}

export interface CallEncryption {
  /** Our X25519 public key, base64url (43 chars, no padding), sent in op 4 `public_key`. */
  readonly publicKey: string;
  /**
   * Attach before negotiation: encrypts every frame this sender sends. Attach it synchronously
   * where the transceiver appears (right after addTransceiver, or in ontrack on the answering
   * side), before any await: Chromium can silently ignore a sender transform attached later
   * (e.g. after another sender's replaceTrack), and that sender's frames then go out as they are.
   */
  protectSender(sender: RTCRtpSender): void;
  /** Attach before negotiation (in ontrack / right after addTransceiver): decrypts frames from userId. */
  protectReceiver(receiver: RTCRtpReceiver, userId: string): void;
  /** Our current media key encrypted for one peer (crypto_box with our secret key → their public key). */
  keyFor(userId: string, publicKey: string): SealedKey;
  /** A peer's media key arrived; false if it does not open (not from that peer, tampered). */
  acceptKey(userId: string, publicKey: string, key: SealedKey): boolean;
  /** New sender key with the next key_id (someone left); the caller then sends keyFor() to each remaining peer. */
  rotate(): void;
  /** A peer left: drop their keys. */
  forget(userId: string): void;
  /** The same short code on every participant's screen, from the sorted (user id, public key) list. */
  verificationCode(participants: { userId: string; publicKey: string }[]): string;
  /** Frame counters from the worker: what we encrypted, and per sender what decrypted or failed. */
  counters(): Promise<{ sent: E2eeCounters; received: Record<string, E2eeCounters> }>;
  close(): void;
}

/** Encoded transforms in a worker are what E2EE needs; without them a call cannot be encrypted. */
export function isE2eeSupported(): boolean {
  return typeof RTCRtpScriptTransform !== 'undefined';
}

/** callEncryption.ts once loaded (with libsodium): a join then does not wait for an import() (a task away). */
let loaded: typeof import('./callEncryption') | null = null;

async function load(): Promise<typeof import('./callEncryption')> {
  return (loaded ??= await import('./callEncryption'));
}

/** A fresh per-call identity (X25519 key pair), first media key and frame worker. */
export async function createCallEncryption(): Promise<CallEncryption> {
  return (loaded ?? (await load())).openCallEncryption();
}

/**
 * Loads the encryption code and libsodium ahead of a call (when calls are prefetched), so that a
 * join makes its key pair at once instead of waiting for about 300 KB of script to load and compile.
 */
export async function preloadCallEncryption(): Promise<void> {
  if (!isE2eeSupported()) return;
  await (await load()).prepareCallEncryption();
}

export { restrictCodecsForE2ee } from './codecs';
