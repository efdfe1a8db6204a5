import sodium from 'libsodium-wrappers';
import type { FrameKey } from './frames';
import type { CallEncryption, SealedKey } from './index';
import { KEY_SWITCH_DELAY_MS } from './keyRing';
import { openKey, sealKey, sharedKey, toBase64url, verificationCode } from './keys';
import type { FromWorker, ToWorker, TransformOptions } from './messages';

/**
 * CallEncryption for one call (index.ts describes it): our key pair and media key live here,
 * the frames are encrypted in the worker. Loaded with libsodium on the first call only.
 */

type Counters = Awaited<ReturnType<CallEncryption['counters']>>;

/** libsodium compiled and ready (index.ts's preloadCallEncryption). */
export async function prepareCallEncryption(): Promise<void> {
  await sodium.ready;
}

export async function openCallEncryption(): Promise<CallEncryption> {
  await sodium.ready;
  return new MeshCallEncryption(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'parley-e2ee' }));
}

/** Exported for its unit test, which drives it with a stand-in worker. */
export class MeshCallEncryption implements CallEncryption {
  readonly publicKey: string;
  private readonly secretKey: Uint8Array;
  private mediaKey: FrameKey = { keyId: 0, key: sodium.crypto_aead_aegis256_keygen() };
  /** Box keys shared with each peer, for the public key they had when computed. */
  private readonly shared = new Map<string, { publicKey: string; key: Uint8Array }>();
  private readonly pendingCounters = new Map<number, { resolve: (counters: Counters) => void; reject: (error: Error) => void }>();
  private nextRequestId = 0;

  constructor(private readonly worker: Worker) {
    const { publicKey, privateKey } = sodium.crypto_box_keypair();
    this.publicKey = toBase64url(publicKey);
    this.secretKey = privateKey;
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
      this.pendingCounters.get(data.requestId)?.resolve({ sent: data.sent, received: data.received });
      this.pendingCounters.delete(data.requestId);
    };
    this.post({ type: 'sender-key', key: this.mediaKey, delayMs: 0 });
  }

  protectSender(sender: RTCRtpSender): void {
    sender.transform = new RTCRtpScriptTransform(this.worker, { role: 'sender' } satisfies TransformOptions);
  }

  protectReceiver(receiver: RTCRtpReceiver, userId: string): void {
    receiver.transform = new RTCRtpScriptTransform(this.worker, { role: 'receiver', userId } satisfies TransformOptions);
  }

  keyFor(userId: string, publicKey: string): SealedKey {
    const shared = this.sharedWith(userId, publicKey);
    if (!shared) throw new Error(`Not a valid public key for user ${userId}`);
    return sealKey(this.mediaKey, shared);
  }

  acceptKey(userId: string, publicKey: string, sealed: SealedKey): boolean {
    const shared = this.sharedWith(userId, publicKey);
    const key = shared && openKey(sealed, shared);
    if (!key) return false;
    this.post({ type: 'receiver-key', userId, key });
    return true;
  }

  rotate(): void {
    this.mediaKey = { keyId: (this.mediaKey.keyId + 1) % 256, key: sodium.crypto_aead_aegis256_keygen() };
    this.post({ type: 'sender-key', key: this.mediaKey, delayMs: KEY_SWITCH_DELAY_MS });
  }

  forget(userId: string): void {
    this.shared.delete(userId);
    this.post({ type: 'forget', userId });
  }

  verificationCode(participants: { userId: string; publicKey: string }[]): string {
    return verificationCode(participants);
  }

  counters(): Promise<Counters> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pendingCounters.set(requestId, { resolve, reject });
      this.post({ type: 'counters', requestId });
    });
  }

  close(): void {
    this.worker.terminate();
    for (const pending of this.pendingCounters.values()) pending.reject(new Error('The call encryption was closed'));
    this.pendingCounters.clear();
    // Nothing of this call's secrets outlives it in this page.
    sodium.memzero(this.secretKey);
    sodium.memzero(this.mediaKey.key);
    for (const shared of this.shared.values()) sodium.memzero(shared.key);
    this.shared.clear();
  }

  private sharedWith(userId: string, publicKey: string): Uint8Array | null {
    const known = this.shared.get(userId);
    if (known?.publicKey === publicKey) return known.key;
    const key = sharedKey(publicKey, this.secretKey);
    if (key) this.shared.set(userId, { publicKey, key });
    return key;
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }
}
