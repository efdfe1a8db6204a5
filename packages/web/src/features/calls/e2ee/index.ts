/**
 * STUB, replaced when the e2ee branch is merged: only the facade the call engine codes
 * against, so the engine compiles. It reports encryption as unsupported, so calls run
 * unencrypted until the real module lands.
 */
export interface SealedKey {
  key_id: number;
  ciphertext: string;
}
export interface E2eeCounters {
  encrypted: number;
  decrypted: number;
  failed: number;
}
export interface CallEncryption {
  readonly publicKey: string;
  protectSender(sender: RTCRtpSender): void;
  protectReceiver(receiver: RTCRtpReceiver, userId: string): void;
  keyFor(userId: string, publicKey: string): SealedKey;
  acceptKey(userId: string, publicKey: string, key: SealedKey): boolean;
  rotate(): void;
  forget(userId: string): void;
  verificationCode(participants: { userId: string; publicKey: string }[]): string;
  counters(): Promise<{ sent: E2eeCounters; received: Record<string, E2eeCounters> }>;
  close(): void;
}

export function isE2eeSupported(): boolean {
  return false;
}

export async function createCallEncryption(): Promise<CallEncryption> {
  throw new Error('End-to-end encryption is not available in this build');
}

/** Limits a transceiver to the codecs the frame encryption handles (the stub encrypts nothing). */
export function restrictCodecsForE2ee(transceiver: RTCRtpTransceiver): void {
  void transceiver;
}
