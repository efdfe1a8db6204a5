import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { MeshCallEncryption } from './callEncryption';
import { KEY_SWITCH_DELAY_MS } from './keyRing';
import type { FromWorker, ToWorker } from './messages';

await sodium.ready;

/** Stands in for the frame worker (which needs a browser's WebRTC): records what the page tells it. */
class RecordingWorker {
  readonly received: ToWorker[] = [];
  onmessage: ((event: { data: FromWorker }) => void) | null = null;
  terminated = false;
  postMessage(message: ToWorker): void {
    this.received.push(structuredClone(message));
  }
  terminate(): void {
    this.terminated = true;
  }
}

function participant() {
  const worker = new RecordingWorker();
  return { worker, encryption: new MeshCallEncryption(worker as unknown as Worker) };
}

const senderKeys = (worker: RecordingWorker) => worker.received.filter((m) => m.type === 'sender-key');
const receiverKeys = (worker: RecordingWorker) => worker.received.filter((m) => m.type === 'receiver-key');

describe('call encryption', () => {
  it('publishes a base64url X25519 public key and hands its first media key to the worker at once', () => {
    const alice = participant();
    expect(alice.encryption.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(senderKeys(alice.worker)).toEqual([{ type: 'sender-key', key: { keyId: 0, key: expect.any(Uint8Array) }, delayMs: 0 }]);
  });

  it("passes a peer's media key to the worker when it opens: the key the peer encrypts with", () => {
    const alice = participant();
    const bob = participant();
    const sealed = alice.encryption.keyFor('2', bob.encryption.publicKey);
    expect(bob.encryption.acceptKey('1', alice.encryption.publicKey, sealed)).toBe(true);
    expect(receiverKeys(bob.worker)).toEqual([{ type: 'receiver-key', userId: '1', key: senderKeys(alice.worker)[0]!.key }]);
  });

  it('refuses a key not sealed by the peer it claims to be from, or sealed for someone else', () => {
    const [alice, bob, mallory] = [participant(), participant(), participant()];
    expect(bob.encryption.acceptKey('1', alice.encryption.publicKey, mallory.encryption.keyFor('2', bob.encryption.publicKey))).toBe(false);
    expect(bob.encryption.acceptKey('1', alice.encryption.publicKey, alice.encryption.keyFor('3', mallory.encryption.publicKey))).toBe(false);
    expect(bob.encryption.acceptKey('1', 'not a key', alice.encryption.keyFor('2', bob.encryption.publicKey))).toBe(false);
    expect(receiverKeys(bob.worker)).toEqual([]);
    expect(() => alice.encryption.keyFor('2', 'not a key')).toThrow(/public key/);
  });

  it('rotates to a new key under the next key id, used after the switch delay, wrapping after 255', () => {
    const alice = participant();
    const bob = participant();
    const first = alice.encryption.keyFor('2', bob.encryption.publicKey);
    alice.encryption.rotate();
    const second = alice.encryption.keyFor('2', bob.encryption.publicKey);
    expect([first.key_id, second.key_id]).toEqual([0, 1]);
    const [initial, rotated] = senderKeys(alice.worker);
    expect(rotated).toEqual({ type: 'sender-key', key: { keyId: 1, key: expect.any(Uint8Array) }, delayMs: KEY_SWITCH_DELAY_MS });
    expect(rotated!.key.key).not.toEqual(initial!.key.key);
    for (let i = 0; i < 255; i++) alice.encryption.rotate();
    expect(alice.encryption.keyFor('2', bob.encryption.publicKey).key_id).toBe(0);
  });

  it("forgets a peer who left, and a peer's new public key (a rejoin) is used from then on", () => {
    const alice = participant();
    const bob = participant();
    const bobAgain = participant();
    expect(bob.encryption.acceptKey('1', alice.encryption.publicKey, alice.encryption.keyFor('2', bob.encryption.publicKey))).toBe(true);
    alice.encryption.forget('2');
    expect(alice.worker.received.at(-1)).toEqual({ type: 'forget', userId: '2' });
    expect(bobAgain.encryption.acceptKey('1', alice.encryption.publicKey, alice.encryption.keyFor('2', bobAgain.encryption.publicKey))).toBe(true);
  });

  it('asks the worker for its counters, and a closed call answers no more', async () => {
    const alice = participant();
    const counters = alice.encryption.counters();
    const request = alice.worker.received.at(-1);
    expect(request).toEqual({ type: 'counters', requestId: expect.any(Number) });
    const answer = { sent: { encrypted: 5, decrypted: 0, failed: 0 }, received: { '2': { encrypted: 0, decrypted: 4, failed: 1 } } };
    alice.worker.onmessage?.({ data: { type: 'counters', requestId: (request as { requestId: number }).requestId, ...answer } });
    await expect(counters).resolves.toEqual(answer);
    const pending = alice.encryption.counters();
    alice.encryption.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(alice.worker.terminated).toBe(true);
  });
});
