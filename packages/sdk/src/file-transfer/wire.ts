/*
 * What two browsers say to each other on a transfer's data channel (docs/file-transfer.md).
 * The sender sends the file in blocks: a JSON header naming the block's offset, length and
 * SHA-256, then its bytes in binary messages. The receiver checks each block before writing
 * it, acknowledges what it wrote (the sender never runs more than WINDOW_BYTES ahead, so
 * memory stays flat on both sides whatever the disk's speed), and asks again for a block that
 * arrived damaged.
 */

/** The unit of checking and of resuming. */
export const BLOCK_BYTES = 1024 * 1024;
/** One binary message: well under every browser's SCTP message limit. */
export const MESSAGE_BYTES = 64 * 1024;
/** How far the sender may run ahead of what the receiver has written. */
export const WINDOW_BYTES = 16 * BLOCK_BYTES;
/** How much the sender lets the data channel hold before it waits for `bufferedamountlow`. */
export const BUFFERED_HIGH = 4 * BLOCK_BYTES;

export type SenderMessage =
  /** A block follows: `length` bytes in binary messages. `hash`: its SHA-256, base64url. */
  | { t: 'block'; offset: number; length: number; hash: string }
  /** Everything from the request's offset was sent. `digest`: SHA-256 of the blocks' hashes in order, base64url. */
  | { t: 'end'; digest: string };

export type ReceiverMessage =
  /** Written (and checked) up to here. */
  | { t: 'ack'; offset: number }
  /** The block at `offset` arrived damaged: send again from there. */
  | { t: 'resend'; offset: number }
  /** The file is complete and matches: the sender may close. */
  | { t: 'done' };

export function parseMessage<T extends { t: string }>(text: string): T | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string' ? (value as T) : null;
  } catch {
    return null;
  }
}

export async function sha256(data: BufferSource): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

/** SHA-256 of the blocks' hashes, in order: what both ends compare at the end. */
export async function digestOf(hashes: readonly Uint8Array[]): Promise<string> {
  const joined = new Uint8Array(hashes.length * 32);
  hashes.forEach((hash, i) => joined.set(hash, i * 32));
  return base64url(await sha256(joined));
}

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 16 random bytes as 22 URL-safe characters: offer and tab IDs. */
export function randomId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** Waits for ICE gathering to finish (the description then carries every candidate), at most `capMs`. */
export function gathered(pc: RTCPeerConnection, capMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    // Some networks never finish gathering (an unreachable STUN server): go with what there is.
    const timer = setTimeout(done, capMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
