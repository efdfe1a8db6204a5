import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_COUNTER, TRAILER_BYTES, clearByteCount, decryptFrame, encryptFrame } from './frames';

await sodium.ready;

const key = (keyId = 1) => ({ keyId, key: sodium.crypto_aead_aegis256_keygen() });
const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const random = (length: number) => sodium.randombytes_buf(length).buffer as ArrayBuffer;
const TAG_BYTES = 32;

describe('frame encryption', () => {
  it('round-trips, keeping the codec header in clear and appending tag, counter and key id', () => {
    const sender = key(9);
    const frame = random(500);
    const encrypted = encryptFrame(frame, 10, sender, 258);
    expect(encrypted.byteLength).toBe(500 + TAG_BYTES + TRAILER_BYTES);
    const out = new Uint8Array(encrypted);
    expect(out.subarray(0, 10)).toEqual(new Uint8Array(frame, 0, 10));
    expect(out.subarray(10, 500)).not.toEqual(new Uint8Array(frame, 10, 490));
    expect([...out.subarray(-TRAILER_BYTES)]).toEqual([0, 0, 1, 2, 9]);
    expect(new Uint8Array(decryptFrame(encrypted, 10, (id) => (id === 9 ? sender.key : undefined))!)).toEqual(new Uint8Array(frame));
  });

  it('gives each frame its own nonce: the same frame encrypts differently under the next counter', () => {
    const sender = key();
    const frame = random(100);
    expect(new Uint8Array(encryptFrame(frame, 1, sender, 0))).not.toEqual(new Uint8Array(encryptFrame(frame, 1, sender, 1)));
  });

  it('decrypts to nothing with a wrong or missing key, or after any byte is altered, header included', () => {
    const sender = key(1);
    const encrypted = encryptFrame(random(200), 3, sender, 5);
    expect(decryptFrame(encrypted, 3, () => key(1).key)).toBeNull();
    expect(decryptFrame(encrypted, 3, () => undefined)).toBeNull();
    for (const index of [0, 2, 3, 100, encrypted.byteLength - 6, encrypted.byteLength - 2, encrypted.byteLength - 1]) {
      const altered = new Uint8Array(encrypted.slice(0));
      altered[index]! ^= 0x40;
      expect(
        decryptFrame(altered.buffer, 3, () => sender.key),
        `byte ${index}`,
      ).toBeNull();
    }
    expect(decryptFrame(encrypted.slice(0, 20), 3, () => sender.key)).toBeNull();
    expect(decryptFrame(bytes(1, 2, 3), 3, () => sender.key)).toBeNull();
  });

  it('handles frames shorter than their clear header', () => {
    const sender = key();
    const encrypted = encryptFrame(bytes(1, 2), 10, sender, 0);
    expect(new Uint8Array(decryptFrame(encrypted, 10, () => sender.key)!)).toEqual(new Uint8Array([1, 2]));
  });

  it('refuses a counter past its range (a nonce would repeat)', () => {
    expect(() => encryptFrame(random(10), 1, key(), MAX_FRAME_COUNTER + 1)).toThrow(RangeError);
    expect(() => encryptFrame(random(10), 1, key(), MAX_FRAME_COUNTER)).not.toThrow();
  });
});

describe('bytes left in clear', () => {
  it('are the Opus TOC byte for audio', () => {
    expect(clearByteCount('audio', 'audio/opus', 0x78)).toBe(1);
  });

  it('are the VP8 key frame header (10) or frame tag (3), read from the first byte', () => {
    expect(clearByteCount('video', 'video/VP8', 0b1001_0000)).toBe(10);
    expect(clearByteCount('video', 'video/VP8', 0b1001_0001)).toBe(3);
    expect(clearByteCount('video', undefined, 0)).toBe(10);
  });

  it('are undefined for video codecs whose packetizer reads the bitstream: such frames are dropped', () => {
    expect(clearByteCount('video', 'video/H264', 0)).toBeNull();
    expect(clearByteCount('video', 'video/AV1', 0)).toBeNull();
    expect(clearByteCount('video', 'video/VP9', 0)).toBeNull();
  });
});
