import { describe, expect, it } from 'vitest';
import { KEY_SWITCH_DELAY_MS, PREVIOUS_KEY_GRACE_MS, ReceiverKeys, SenderKeys } from './keyRing';

const key = (keyId: number) => ({ keyId, key: new Uint8Array(32).fill(keyId) });

describe('the sender key', () => {
  it('numbers frames from 0 under each key, and drops frames when it has none', () => {
    const keys = new SenderKeys();
    expect(keys.take(0)).toBeNull();
    keys.set(key(0), 0, KEY_SWITCH_DELAY_MS);
    expect(keys.take(0)).toEqual({ key: key(0), counter: 0 });
    expect(keys.take(1)).toEqual({ key: key(0), counter: 1 });
  });

  it('switches to a rotated key only after the delay, restarting the count', () => {
    const keys = new SenderKeys();
    keys.set(key(0), 0, 0);
    keys.take(0);
    keys.set(key(1), 100, KEY_SWITCH_DELAY_MS);
    expect(keys.take(100 + KEY_SWITCH_DELAY_MS - 1)).toEqual({ key: key(0), counter: 1 });
    expect(keys.take(100 + KEY_SWITCH_DELAY_MS)).toEqual({ key: key(1), counter: 0 });
    expect(keys.take(100 + KEY_SWITCH_DELAY_MS + 1)).toEqual({ key: key(1), counter: 1 });
  });

  it('stops encrypting rather than reuse a nonce when a key has numbered every frame it can', () => {
    const keys = new SenderKeys(2);
    keys.set(key(0), 0, 0);
    expect([keys.take(0)?.counter, keys.take(0)?.counter, keys.take(0)?.counter]).toEqual([0, 1, 2]);
    expect(keys.take(0)).toBeNull();
    keys.set(key(1), 0, 0);
    expect(keys.take(0)).toEqual({ key: key(1), counter: 0 });
  });
});

describe("a peer's keys", () => {
  it('are found by user and key id', () => {
    const keys = new ReceiverKeys();
    keys.set('1', key(0), 0);
    expect(keys.get('1', 0, 10)).toEqual(key(0).key);
    expect(keys.get('1', 1, 10)).toBeUndefined();
    expect(keys.get('2', 0, 10)).toBeUndefined();
  });

  it('keep the previous key for a grace period after a rotation, the newest for good', () => {
    const keys = new ReceiverKeys();
    keys.set('1', key(0), 0);
    keys.set('1', key(1), 1_000);
    expect(keys.get('1', 0, 1_000 + PREVIOUS_KEY_GRACE_MS - 1)).toEqual(key(0).key);
    expect(keys.get('1', 0, 1_000 + PREVIOUS_KEY_GRACE_MS)).toBeUndefined();
    expect(keys.get('1', 1, 1_000_000)).toEqual(key(1).key);
  });

  it('do not extend an older key when rotations follow each other', () => {
    const keys = new ReceiverKeys();
    keys.set('1', key(0), 0);
    keys.set('1', key(1), 1_000);
    keys.set('1', key(2), 2_000);
    expect(keys.get('1', 0, 1_000 + PREVIOUS_KEY_GRACE_MS)).toBeUndefined();
    expect(keys.get('1', 1, 1_000 + PREVIOUS_KEY_GRACE_MS)).toEqual(key(1).key);
  });

  it('take a new key under a reused id (the peer rejoined), and go when the peer leaves', () => {
    const keys = new ReceiverKeys();
    keys.set('1', key(0), 0);
    const fresh = { keyId: 0, key: new Uint8Array(32).fill(99) };
    keys.set('1', fresh, 10);
    expect(keys.get('1', 0, 20)).toEqual(fresh.key);
    keys.forget('1');
    expect(keys.get('1', 0, 30)).toBeUndefined();
  });
});
