import sodium from 'libsodium-wrappers';

/**
 * One encoded frame's encryption, as pure functions over ArrayBuffers (the worker calls them;
 * unit tests call them in Node). libsodium must be ready (`await sodium.ready`) first.
 *
 * Encrypted frame: clear header ‖ AEGIS-256(rest of frame, ad = clear header) ‖ counter ‖ key id
 * - clear header: the codec bytes the RTP packetizer and depacketizer read (clearByteCount);
 *   authenticated as associated data, so they cannot be altered either.
 * - counter (4 bytes, big-endian) and key id (1 byte): the trailer, in clear. The nonce is the
 *   trailer padded with zeros: unique because each key belongs to one sender, which numbers its
 *   frames per key (keyRing.ts) and stops before the counter would wrap.
 */

export interface FrameKey {
  /** 0–255, written in each frame so the receiver picks the right key around a rotation. */
  keyId: number;
  /** 32 random bytes (crypto_aead_aegis256_keygen). */
  key: Uint8Array;
}

const COUNTER_BYTES = 4;
export const TRAILER_BYTES = COUNTER_BYTES + 1;
/** The last counter a key may use; the sender drops frames past it (years of frames, in practice never). */
export const MAX_FRAME_COUNTER = 2 ** 32 - 1;

/** Opus: the TOC byte (mode, bandwidth, frame size) stays readable, as in other E2EE designs. */
const AUDIO_CLEAR_BYTES = 1;
/** VP8 key frames: 3-byte frame tag, start code and picture size, which the depacketizer reads. */
const VP8_KEY_FRAME_CLEAR_BYTES = 10;
/** VP8 delta frames: the 3-byte frame tag. */
const VP8_DELTA_FRAME_CLEAR_BYTES = 3;

/**
 * How many leading bytes of a frame stay in clear, or null for a codec the worker cannot
 * encrypt without breaking its packetizer (codecs.ts keeps those out of E2EE calls). Decided
 * from bytes that are in clear on both sides, so sender and receiver always agree.
 * A missing mimeType (older browsers) is taken as VP8, the only video codec negotiated.
 */
export function clearByteCount(kind: 'audio' | 'video', mimeType: string | undefined, firstByte: number): number | null {
  if (kind === 'audio') return AUDIO_CLEAR_BYTES;
  if (mimeType !== undefined && mimeType.toLowerCase() !== 'video/vp8') return null;
  // The frame tag's lowest bit is 0 on key frames (RFC 6386, 9.1).
  return (firstByte & 1) === 0 ? VP8_KEY_FRAME_CLEAR_BYTES : VP8_DELTA_FRAME_CLEAR_BYTES;
}

function nonceFor(trailer: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(sodium.crypto_aead_aegis256_NPUBBYTES);
  nonce.set(trailer);
  return nonce;
}

/** Encrypts a frame with the sender's key and this frame's number under it. */
export function encryptFrame(frame: ArrayBuffer, clearBytes: number, key: FrameKey, counter: number): ArrayBuffer {
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_FRAME_COUNTER) throw new RangeError('Frame counter out of range');
  const bytes = new Uint8Array(frame);
  const clear = Math.min(clearBytes, bytes.length);
  const trailer = new Uint8Array(TRAILER_BYTES);
  new DataView(trailer.buffer).setUint32(0, counter);
  trailer[COUNTER_BYTES] = key.keyId;
  const header = bytes.subarray(0, clear);
  const sealed = sodium.crypto_aead_aegis256_encrypt(bytes.subarray(clear), header, null, nonceFor(trailer), key.key);
  const out = new Uint8Array(clear + sealed.length + TRAILER_BYTES);
  out.set(header);
  out.set(sealed, clear);
  out.set(trailer, clear + sealed.length);
  return out.buffer;
}

/**
 * The original frame, or null when it does not decrypt: no key with its key id (not received
 * yet, or retired), the wrong key, or altered bytes. A null frame must be dropped, never decoded.
 */
export function decryptFrame(frame: ArrayBuffer, clearBytes: number, keyFor: (keyId: number) => Uint8Array | undefined): ArrayBuffer | null {
  const bytes = new Uint8Array(frame);
  const bodyEnd = bytes.length - TRAILER_BYTES;
  // The sender kept min(clearBytes, frame length) in clear; the frame length is what the tag and trailer leave.
  const clear = Math.min(clearBytes, bodyEnd - sodium.crypto_aead_aegis256_ABYTES);
  if (clear < 0) return null;
  const trailer = bytes.subarray(bodyEnd);
  const key = keyFor(trailer[COUNTER_BYTES]!);
  if (!key) return null;
  let opened: Uint8Array;
  try {
    opened = sodium.crypto_aead_aegis256_decrypt(null, bytes.subarray(clear, bodyEnd), bytes.subarray(0, clear), nonceFor(trailer), key);
  } catch {
    return null;
  }
  const out = new Uint8Array(clear + opened.length);
  out.set(bytes.subarray(0, clear));
  out.set(opened, clear);
  return out.buffer;
}
