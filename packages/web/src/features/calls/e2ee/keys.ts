import sodium from 'libsodium-wrappers';
import type { FrameKey } from './frames';
import type { SealedKey } from './index';

/**
 * Media keys between participants, and the code they compare to trust them. Each participant
 * has an X25519 key pair for the call; a media key travels as crypto_box (X25519 +
 * XSalsa20-Poly1305) from the sender's secret key to the recipient's public key, so only that
 * recipient can open it and it can only have come from that sender. libsodium must be ready.
 */

const BASE64URL = () => sodium.base64_variants.URLSAFE_NO_PADDING;

export function toBase64url(bytes: Uint8Array): string {
  return sodium.to_base64(bytes, BASE64URL());
}

/** null for text that is not base64url (libsodium throws on it). */
function fromBase64url(text: string): Uint8Array | null {
  try {
    return sodium.from_base64(text, BASE64URL());
  } catch {
    return null;
  }
}

/**
 * The box key shared with one peer (crypto_box_beforenm): computed once per peer rather than
 * for every key sent or received. null for a public key that is not one (wrong length, or a
 * low-order point libsodium refuses).
 */
export function sharedKey(theirPublicKey: string, ourSecretKey: Uint8Array): Uint8Array | null {
  const publicKey = fromBase64url(theirPublicKey);
  if (publicKey?.length !== sodium.crypto_box_PUBLICKEYBYTES) return null;
  try {
    return sodium.crypto_box_beforenm(publicKey, ourSecretKey);
  } catch {
    return null;
  }
}

/** Sealed plaintext: the key id, then the key, so a relay cannot relabel a key with another id. */
export function sealKey({ keyId, key }: FrameKey, shared: Uint8Array): SealedKey {
  const plaintext = new Uint8Array(1 + key.length);
  plaintext[0] = keyId;
  plaintext.set(key, 1);
  const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES);
  const box = sodium.crypto_box_easy_afternm(plaintext, nonce, shared);
  const ciphertext = new Uint8Array(nonce.length + box.length);
  ciphertext.set(nonce);
  ciphertext.set(box, nonce.length);
  return { key_id: keyId, ciphertext: toBase64url(ciphertext) };
}

/** The media key inside, or null when it does not open with this peer's shared key or was altered. */
export function openKey(sealed: SealedKey, shared: Uint8Array): FrameKey | null {
  const bytes = fromBase64url(sealed.ciphertext);
  const keyBytes = sodium.crypto_aead_aegis256_KEYBYTES;
  if (bytes?.length !== sodium.crypto_box_NONCEBYTES + sodium.crypto_box_MACBYTES + 1 + keyBytes) return null;
  let plaintext: Uint8Array;
  try {
    plaintext = sodium.crypto_box_open_easy_afternm(bytes.subarray(sodium.crypto_box_NONCEBYTES), bytes.subarray(0, sodium.crypto_box_NONCEBYTES), shared);
  } catch {
    return null;
  }
  if (plaintext[0] !== sealed.key_id) return null;
  return { keyId: sealed.key_id, key: plaintext.slice(1) };
}

/** Snowflakes compare as numbers: a shorter decimal is smaller, equal lengths compare as text. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

const CODE_GROUPS = 5;
const CODE_DIGITS = 5;

/**
 * Five groups of five digits that every participant computes alike from the call's (user id,
 * public key) list, whatever order they learnt it in. If the server handed anyone a public key
 * of its own (to read the media keys sealed to it), the lists differ and so do the codes.
 * BLAKE2b (generichash) over a domain-separated, sorted, newline-joined list; each group is 32
 * bits of the hash mod 100,000 (bias under 0.003%).
 */
export function verificationCode(participants: { userId: string; publicKey: string }[]): string {
  const sorted = [...participants].sort((a, b) => compareIds(a.userId, b.userId) || compareIds(a.publicKey, b.publicKey));
  const text = ['parley call verification v1', ...sorted.map((p) => `${p.userId} ${p.publicKey}`)].join('\n');
  const hash = sodium.crypto_generichash(CODE_GROUPS * 4, text, null);
  const view = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const groups = Array.from({ length: CODE_GROUPS }, (_, i) => String(view.getUint32(i * 4) % 10 ** CODE_DIGITS).padStart(CODE_DIGITS, '0'));
  return groups.join(' ');
}
