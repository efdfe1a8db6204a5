import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { openKey, sealKey, sharedKey, toBase64url, verificationCode } from './keys';

// Before any describe body runs: some build their fixtures while the tests are collected.
await sodium.ready;

function identity() {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey: toBase64url(publicKey), secretKey: privateKey };
}

const mediaKey = (keyId = 0) => ({ keyId, key: sodium.crypto_aead_aegis256_keygen() });

describe('media keys sealed between participants', () => {
  it('open for the recipient, from the sender, with their key id', () => {
    const alice = identity();
    const bob = identity();
    const key = mediaKey(7);
    const sealed = sealKey(key, sharedKey(bob.publicKey, alice.secretKey)!);
    expect(alice.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sealed.key_id).toBe(7);
    expect(sealed.ciphertext).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(openKey(sealed, sharedKey(alice.publicKey, bob.secretKey)!)).toEqual(key);
  });

  it('do not open as coming from anyone else, nor for anyone else', () => {
    const [alice, bob, mallory] = [identity(), identity(), identity()];
    const sealed = sealKey(mediaKey(), sharedKey(bob.publicKey, mallory.secretKey)!);
    // Bob believes the key is Alice's: it is not.
    expect(openKey(sealed, sharedKey(alice.publicKey, bob.secretKey)!)).toBeNull();
    const forBob = sealKey(mediaKey(), sharedKey(bob.publicKey, alice.secretKey)!);
    expect(openKey(forBob, sharedKey(alice.publicKey, mallory.secretKey)!)).toBeNull();
  });

  it('refuse tampering: a relabelled key id, flipped or truncated ciphertext', () => {
    const alice = identity();
    const bob = identity();
    const sealed = sealKey(mediaKey(3), sharedKey(bob.publicKey, alice.secretKey)!);
    const shared = sharedKey(alice.publicKey, bob.secretKey)!;
    expect(openKey({ ...sealed, key_id: 4 }, shared)).toBeNull();
    const bytes = sodium.from_base64(sealed.ciphertext, sodium.base64_variants.URLSAFE_NO_PADDING);
    bytes[30]! ^= 1;
    expect(openKey({ ...sealed, ciphertext: toBase64url(bytes) }, shared)).toBeNull();
    expect(openKey({ ...sealed, ciphertext: sealed.ciphertext.slice(0, 60) }, shared)).toBeNull();
    expect(openKey({ ...sealed, ciphertext: '!!' }, shared)).toBeNull();
  });

  it('need a real public key', () => {
    const alice = identity();
    expect(sharedKey('short', alice.secretKey)).toBeNull();
    expect(sharedKey('not base64url at all, not base64url at all!', alice.secretKey)).toBeNull();
    // All zeros is a low-order point: the shared secret would be known to anyone.
    expect(sharedKey(toBase64url(new Uint8Array(32)), alice.secretKey)).toBeNull();
  });
});

describe('the verification code', () => {
  const people = [
    { userId: '900000000000000001', publicKey: identity().publicKey },
    { userId: '20000000000000001', publicKey: identity().publicKey },
    { userId: '100000000000000003', publicKey: identity().publicKey },
  ];

  it('is five groups of five digits, the same whatever order the list is in', () => {
    const code = verificationCode(people);
    expect(code).toMatch(/^\d{5}( \d{5}){4}$/);
    expect(verificationCode([...people].reverse())).toBe(code);
    expect(verificationCode([people[1]!, people[0]!, people[2]!])).toBe(code);
    expect(verificationCode(people.map((p) => ({ ...p })))).toBe(code);
  });

  it('is a fixed function of the list (BLAKE2b-160, value checked with Python hashlib)', () => {
    const fixed = [
      { userId: '1', publicKey: 'A'.repeat(43) },
      { userId: '2', publicKey: 'B'.repeat(43) },
    ];
    expect(verificationCode(fixed)).toBe(verificationCode([fixed[1]!, fixed[0]!]));
    expect(verificationCode(fixed)).toBe('63246 86320 81284 89533 07489');
  });

  it('changes when any public key is swapped, or anyone is added or left out', () => {
    const code = verificationCode(people);
    const swapped = people.map((p, i) => (i === 1 ? { ...p, publicKey: identity().publicKey } : p));
    expect(verificationCode(swapped)).not.toBe(code);
    expect(verificationCode(people.slice(1))).not.toBe(code);
    expect(verificationCode([...people, { userId: '5', publicKey: identity().publicKey }])).not.toBe(code);
  });
});
