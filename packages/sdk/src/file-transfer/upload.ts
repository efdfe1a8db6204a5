import type { FileOffer, FileSignal } from '@parley/protocol';
import { BLOCK_BYTES, BUFFERED_HIGH, MESSAGE_BYTES, type ReceiverMessage, type SenderMessage, WINDOW_BYTES, base64url, digestOf, gathered, parseMessage, sha256 } from './wire';
import type { Signaller } from './signaller';

/** How one receiver is doing, as the sender sees it. */
export interface UploadProgress {
  /** The receiver's tab. */
  peer: string;
  userId: string;
  /** Written on the receiver's side (acknowledged), from 0. */
  bytes: number;
  done: boolean;
  /** Still connected (false once it finished, failed or was cancelled). */
  active: boolean;
}

/**
 * Sends one offered file to one receiver's tab, from the offset it asked for: a WebRTC offer
 * through the server, then the file in checked blocks over the data channel (wire.ts), never
 * more than WINDOW_BYTES ahead of what the receiver wrote and BUFFERED_HIGH in the channel.
 */
export class Upload {
  private readonly pc: RTCPeerConnection;
  private readonly channel: RTCDataChannel;
  private acked: number;
  /** Set when the receiver asks for a block again: the pump goes back there. */
  private restartAt: number | null = null;
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly file: Blob,
    private readonly offer: FileOffer,
    private readonly request: Extract<FileSignal, { type: 'request' }>,
    private readonly signaller: Signaller,
    iceServers: RTCIceServer[],
    private readonly onProgress: (progress: UploadProgress) => void,
  ) {
    this.acked = request.offset;
    this.pc = new RTCPeerConnection({ iceServers });
    this.channel = this.pc.createDataChannel('parley-file', { ordered: true });
    this.channel.binaryType = 'arraybuffer';
    this.channel.bufferedAmountLowThreshold = BUFFERED_HIGH / 2;
    this.channel.onopen = () => void this.pump(request.offset).catch(() => this.close());
    this.channel.onmessage = (event) => this.onMessage(event.data);
    this.channel.onclose = () => this.close();
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'failed' || this.pc.connectionState === 'closed') this.close();
    };
  }

  get peer(): string {
    return this.request.from_peer;
  }

  async start(): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    // Candidates found later still go, a few at a time.
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate && !this.closed) void this.signal({ type: 'candidates', candidates: [candidate.toJSON() as never] });
    };
    await this.signal({ type: 'description', description: { type: 'offer', sdp: this.pc.localDescription!.sdp } });
  }

  async onSignal(signal: FileSignal): Promise<void> {
    if (signal.type === 'description' && signal.description.type === 'answer') await this.pc.setRemoteDescription(signal.description);
    else if (signal.type === 'candidates') for (const candidate of signal.candidates) await this.pc.addIceCandidate(candidate).catch(() => undefined);
    else if (signal.type === 'cancel') this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.channel.close();
    this.pc.close();
    this.onProgress({ peer: this.peer, userId: this.request.from_user_id, bytes: this.acked, done: this.acked >= this.offer.size, active: false });
  }

  private signal(body: { type: 'description'; description: { type: 'offer'; sdp: string } } | { type: 'candidates'; candidates: never[] }): Promise<void> {
    return this.signaller.send(this.request.channel_id, this.request.from_user_id, { ...body, offer_id: this.offer.id, to_peer: this.request.from_peer });
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    const message = parseMessage<ReceiverMessage>(data);
    if (message?.t === 'ack') {
      this.acked = Math.max(this.acked, message.offset);
      this.onProgress({ peer: this.peer, userId: this.request.from_user_id, bytes: this.acked, done: false, active: true });
    } else if (message?.t === 'resend') {
      this.restartAt = message.offset;
    } else if (message?.t === 'done') {
      this.acked = this.offer.size;
      this.close();
      return;
    }
    this.wake?.();
  }

  /** Until the receiver acknowledges more, asks again, or the channel drains. */
  private waitForReceiver(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.channel.removeEventListener('bufferedamountlow', done);
        this.channel.removeEventListener('close', done);
        resolve();
      };
      this.channel.addEventListener('bufferedamountlow', done);
      this.channel.addEventListener('close', done);
    });
  }

  private async pump(from: number): Promise<void> {
    const { size } = this.offer;
    const hashes: Uint8Array[] = [];
    let offset = from;
    for (;;) {
      if (this.closed) return;
      if (this.restartAt !== null) {
        // Blocks from a request's offset on are hashed into the final digest: forget those re-sent.
        offset = Math.max(from, this.restartAt);
        hashes.length = (offset - from) / BLOCK_BYTES;
        this.restartAt = null;
      }
      if (offset >= size) break;
      if (offset - this.acked >= WINDOW_BYTES) {
        await this.waitForReceiver();
        continue;
      }
      if (this.channel.bufferedAmount > BUFFERED_HIGH) {
        await this.drained();
        continue;
      }
      const length = Math.min(BLOCK_BYTES, size - offset);
      const block = new Uint8Array(await this.file.slice(offset, offset + length).arrayBuffer());
      const hash = await sha256(block);
      if (this.closed) return;
      this.send({ t: 'block', offset, length, hash: base64url(hash) });
      for (let at = 0; at < length; at += MESSAGE_BYTES) this.channel.send(block.subarray(at, Math.min(at + MESSAGE_BYTES, length)));
      hashes.push(hash);
      offset += length;
    }
    this.send({ t: 'end', digest: await digestOf(hashes) });
    // The receiver answers `done`, or asks for a damaged block again (the loop resumes).
    while (!this.closed) {
      await this.waitForReceiver();
      if (this.restartAt !== null) return this.pump(from);
    }
  }

  private send(message: SenderMessage): void {
    if (this.channel.readyState === 'open') this.channel.send(JSON.stringify(message));
  }
}
