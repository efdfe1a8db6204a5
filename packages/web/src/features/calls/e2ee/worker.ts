import sodium from 'libsodium-wrappers';
import type { E2eeCounters } from './index';
import { clearByteCount, decryptFrame, encryptFrame } from './frames';
import { ReceiverKeys, SenderKeys } from './keyRing';
import type { FromWorker, ToWorker, TransformOptions } from './messages';

/**
 * The frame worker of one call: every RTCRtpScriptTransform of the call (our senders, each
 * peer's receivers) runs here, so they share the keys the page posts in and one frame counter
 * per key. A frame that cannot be encrypted or decrypted is dropped and counted: nothing leaves
 * in clear, and nothing undecryptable reaches a decoder.
 */

// The page's TypeScript lib is DOM, which has no worker-side types: these are the parts used.
type EncodedFrame = RTCEncodedAudioFrame | RTCEncodedVideoFrame;
interface ScriptTransformer {
  readonly options: TransformOptions;
  readonly readable: ReadableStream<EncodedFrame>;
  readonly writable: WritableStream<EncodedFrame>;
  sendKeyFrameRequest(): Promise<void>;
}
interface WorkerScope {
  onrtctransform: ((event: { transformer: ScriptTransformer }) => void) | null;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
}
const scope = self as unknown as WorkerScope;

const ready = sodium.ready;
const senderKeys = new SenderKeys();
const receiverKeys = new ReceiverKeys();
const sent: E2eeCounters = { encrypted: 0, decrypted: 0, failed: 0 };
const received: Record<string, E2eeCounters> = {};

scope.onmessage = ({ data: message }) => {
  const now = Date.now();
  if (message.type === 'sender-key') senderKeys.set(message.key, now, message.delayMs);
  else if (message.type === 'receiver-key') receiverKeys.set(message.userId, message.key, now);
  else if (message.type === 'forget') receiverKeys.forget(message.userId);
  else scope.postMessage({ type: 'counters', requestId: message.requestId, sent, received });
};

scope.onrtctransform = ({ transformer }) => {
  const options = transformer.options;
  const transform = options.role === 'sender' ? encrypting() : decrypting(options.userId, transformer);
  // The pipe errors when its connection closes; there is nothing left to do then.
  transformer.readable
    .pipeThrough(new TransformStream({ transform }))
    .pipeTo(transformer.writable)
    .catch(() => undefined);
};

function kindOf(frame: EncodedFrame): 'audio' | 'video' {
  return frame instanceof RTCEncodedVideoFrame ? 'video' : 'audio';
}

function clearBytesOf(frame: EncodedFrame): number | null {
  return clearByteCount(kindOf(frame), frame.getMetadata().mimeType, new Uint8Array(frame.data, 0, 1)[0]!);
}

type Transform = (frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>) => Promise<void>;

function encrypting(): Transform {
  return async (frame, controller) => {
    await ready;
    // An empty frame (e.g. an Opus DTX gap) carries nothing to hide.
    if (frame.data.byteLength === 0) return controller.enqueue(frame);
    const clear = clearBytesOf(frame);
    const next = senderKeys.take(Date.now());
    if (clear === null || next === null) {
      sent.failed++;
      return;
    }
    frame.data = encryptFrame(frame.data, clear, next.key, next.counter);
    sent.encrypted++;
    controller.enqueue(frame);
  };
}

function decrypting(userId: string, transformer: ScriptTransformer): Transform {
  const counters = (received[userId] ??= { encrypted: 0, decrypted: 0, failed: 0 });
  const keyFor = (keyId: number): Uint8Array | undefined => receiverKeys.get(userId, keyId, Date.now());
  let dropping = false;
  return async (frame, controller) => {
    await ready;
    if (frame.data.byteLength === 0) return controller.enqueue(frame);
    const clear = clearBytesOf(frame);
    const opened = clear === null ? null : decryptFrame(frame.data, clear, keyFor);
    if (opened === null) {
      counters.failed++;
      dropping = true;
      return;
    }
    // Frames were dropped (no key yet, or a missed rotation): the video decoder needs a fresh key frame.
    if (dropping && kindOf(frame) === 'video') transformer.sendKeyFrameRequest().catch(() => undefined);
    dropping = false;
    frame.data = opened;
    counters.decrypted++;
    controller.enqueue(frame);
  };
}
