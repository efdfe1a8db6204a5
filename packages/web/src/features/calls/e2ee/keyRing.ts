import { type FrameKey, MAX_FRAME_COUNTER } from './frames';

/**
 * Which media key encrypts or decrypts a frame, around rotations. The worker keeps one
 * SenderKeys and one ReceiverKeys; time is passed in so the rules are testable.
 */

/**
 * A new sender key is used this long after it was made: the sealed copies travel through the
 * gateway while media goes straight to the peer, so switching at once would make peers drop
 * frames (and video stall until a key frame) until the key arrives.
 */
export const KEY_SWITCH_DELAY_MS = 1_000;
/** A peer's previous key still decrypts this long after its next one arrived: frames in flight. */
export const PREVIOUS_KEY_GRACE_MS = 5_000;

/** Our media key and how many frames it encrypted (the counter makes each frame's nonce). */
export class SenderKeys {
  private current: { key: FrameKey; frames: number } | null = null;
  private next: { key: FrameKey; from: number } | null = null;

  /** `lastCounter` is lowered only by tests, to reach the end of a key's frames. */
  constructor(private readonly lastCounter = MAX_FRAME_COUNTER) {}

  /** The first key applies at once; a later one after `delayMs` (a rotation). */
  set(key: FrameKey, now: number, delayMs: number): void {
    if (this.current === null) this.current = { key, frames: 0 };
    else this.next = { key, from: now + delayMs };
  }

  /** The key and counter for the next frame, or null when there is none to use (the frame is dropped). */
  take(now: number): { key: FrameKey; counter: number } | null {
    if (this.next && now >= this.next.from) {
      this.current = { key: this.next.key, frames: 0 };
      this.next = null;
    }
    if (!this.current || this.current.frames > this.lastCounter) return null;
    return { key: this.current.key, counter: this.current.frames++ };
  }
}

/** Each peer's media keys by key id: the newest, and for a short while the ones before it. */
export class ReceiverKeys {
  private readonly peers = new Map<string, Map<number, { key: Uint8Array; retiresAt: number }>>();

  set(userId: string, { keyId, key }: FrameKey, now: number): void {
    const keys = this.peers.get(userId) ?? new Map<number, { key: Uint8Array; retiresAt: number }>();
    for (const [id, entry] of keys) {
      if (entry.retiresAt <= now) keys.delete(id);
      else if (id !== keyId) entry.retiresAt = Math.min(entry.retiresAt, now + PREVIOUS_KEY_GRACE_MS);
    }
    keys.set(keyId, { key, retiresAt: Infinity });
    this.peers.set(userId, keys);
  }

  get(userId: string, keyId: number, now: number): Uint8Array | undefined {
    const entry = this.peers.get(userId)?.get(keyId);
    return entry && now < entry.retiresAt ? entry.key : undefined;
  }

  forget(userId: string): void {
    this.peers.delete(userId);
  }
}
