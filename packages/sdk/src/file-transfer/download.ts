import type { FileOffer, FileSignal, Snowflake } from '@parley/protocol';
import { Emitter } from '../emitter';
import type { Signaller } from './signaller';
import { BLOCK_BYTES, type ReceiverMessage, type SenderMessage, base64url, digestOf, gathered, parseMessage, sha256 } from './wire';

/** Where a received file goes, block by block, in order (a file on disk: never the whole file in memory). */
export interface FileSink {
  write(offset: number, data: Uint8Array<ArrayBuffer>): Promise<void>;
  /** The file is complete and checked. */
  close(): Promise<void>;
  /** Cancelled or failed: drop what was written. */
  abort(): Promise<void>;
}

export type DownloadPhase = 'asking' | 'connecting' | 'receiving' | 'done' | 'failed' | 'cancelled';

export interface DownloadState {
  phase: DownloadPhase;
  /** Checked and written so far. */
  bytes: number;
  size: number;
  /** Over the last few seconds. */
  bytesPerSecond: number;
  /** Blocks that arrived damaged and were fetched again. */
  repairedBlocks: number;
  /** Connections lost and resumed. */
  resumes: number;
  error?: string;
}

/** How long the sender's tab has to answer a request before it counts as offline. */
const ANSWER_TIMEOUT_MS = 20_000;
/** Lost connections resumed before giving up. */
const MAX_RESUMES = 5;

/**
 * Receives one offered file from the sender's browser: asks for it (from where an interrupted
 * attempt stopped), answers the sender's WebRTC offer, checks every block's hash before writing
 * it to the sink, acknowledges what it wrote (the sender's window), asks again for a damaged
 * block, compares the final digest, and resumes by itself when the connection drops.
 */
export class Download extends Emitter<{ state: DownloadState }> {
  state: DownloadState;
  private pc: RTCPeerConnection | null = null;
  private channel: RTCDataChannel | null = null;
  private senderPeer: string | null = null;
  /** Each block's hash, by index: the final digest covers those of the current attempt. */
  private readonly hashes: Uint8Array[] = [];
  private attemptFrom = 0;
  private block: { offset: number; length: number; hash: string; data: Uint8Array<ArrayBuffer>; filled: number } | null = null;
  /** Bytes of a block that is not the one expected (sent before a re-send took effect): dropped. */
  private skipping = 0;
  /** Messages are handled one after another (hashing and writing are asynchronous). */
  private queue: Promise<void> = Promise.resolve();
  private answerTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly speed: { at: number; bytes: number }[] = [];

  constructor(
    readonly channelId: Snowflake,
    readonly senderId: Snowflake,
    readonly offer: FileOffer,
    private readonly sink: FileSink,
    private readonly signaller: Signaller,
    private readonly iceServers: () => Promise<RTCIceServer[]>,
  ) {
    super();
    this.state = { phase: 'asking', bytes: 0, size: offer.size, bytesPerSecond: 0, repairedBlocks: 0, resumes: 0 };
  }

  /** Asks the sender for the file from what is already written. */
  async start(): Promise<void> {
    this.attemptFrom = this.state.bytes;
    this.senderPeer = null;
    this.update({ phase: 'asking' });
    this.answerTimer = setTimeout(() => this.fail('The sender is not online, or no longer shares this file.'), ANSWER_TIMEOUT_MS);
    await this.signaller.send(this.channelId, this.senderId, { type: 'request', offer_id: this.offer.id, offset: this.state.bytes }).catch((error: unknown) => this.fail(errorText(error)));
  }

  cancel(): void {
    if (this.finished) return;
    if (this.senderPeer) void this.signaller.send(this.channelId, this.senderId, { type: 'cancel', offer_id: this.offer.id, to_peer: this.senderPeer }).catch(() => undefined);
    this.teardown();
    void this.sink.abort();
    this.update({ phase: 'cancelled' });
  }

  /** A signal from the sender's tab (the transfers route those addressed to this tab and offer). */
  async onSignal(signal: FileSignal): Promise<void> {
    if (this.finished || signal.from_user_id !== this.senderId) return;
    if (signal.type === 'description' && signal.description.type === 'offer' && this.senderPeer === null) {
      await this.answer(signal.from_peer, signal.description.sdp);
    } else if (signal.type === 'candidates' && signal.from_peer === this.senderPeer) {
      for (const candidate of signal.candidates) await this.pc?.addIceCandidate(candidate).catch(() => undefined);
    } else if (signal.type === 'cancel' && signal.from_peer === this.senderPeer) {
      this.fail('The sender stopped sharing this file.');
    }
  }

  private get finished(): boolean {
    return this.state.phase === 'done' || this.state.phase === 'failed' || this.state.phase === 'cancelled';
  }

  private async answer(peer: string, sdp: string): Promise<void> {
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.senderPeer = peer;
    this.update({ phase: 'connecting' });
    const pc = (this.pc = new RTCPeerConnection({ iceServers: await this.iceServers() }));
    pc.ondatachannel = ({ channel }) => {
      this.channel = channel;
      channel.binaryType = 'arraybuffer';
      channel.onopen = () => this.update({ phase: 'receiving' });
      channel.onmessage = (event) => {
        const data = event.data as string | ArrayBuffer;
        this.queue = this.queue.then(() => this.onMessage(data)).catch((error: unknown) => this.fail(errorText(error)));
      };
      channel.onclose = () => this.lost(pc);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.lost(pc);
    };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && this.pc === pc)
        void this.signaller.send(this.channelId, this.senderId, { type: 'candidates', offer_id: this.offer.id, to_peer: peer, candidates: [candidate.toJSON() as never] }).catch(() => undefined);
    };
    await this.signaller.send(this.channelId, this.senderId, { type: 'description', offer_id: this.offer.id, to_peer: peer, description: { type: 'answer', sdp: pc.localDescription!.sdp } });
  }

  /** The connection dropped before the end: once what arrived is written, ask again from there. */
  private lost(pc: RTCPeerConnection): void {
    if (this.pc !== pc || this.finished) return;
    this.teardown();
    this.queue = this.queue.then(async () => {
      if (this.finished) return;
      if (this.state.resumes >= MAX_RESUMES) return this.fail('The connection to the sender kept dropping.');
      this.update({ resumes: this.state.resumes + 1 });
      await this.start();
    });
  }

  private teardown(): void {
    if (this.answerTimer) clearTimeout(this.answerTimer);
    const { pc, channel } = this;
    this.pc = null;
    this.channel = null;
    this.block = null;
    this.skipping = 0;
    channel?.close();
    pc?.close();
  }

  private async onMessage(data: string | ArrayBuffer): Promise<void> {
    if (this.finished || !this.channel) return;
    if (typeof data === 'string') {
      const message = parseMessage<SenderMessage>(data);
      if (message?.t === 'block') this.startBlock(message);
      else if (message?.t === 'end') await this.end(message.digest);
      return;
    }
    let bytes = new Uint8Array(data);
    if (this.skipping > 0) {
      this.skipping -= bytes.byteLength;
      return;
    }
    const block = this.block;
    if (!block) return;
    if (block.filled + bytes.byteLength > block.length) bytes = bytes.subarray(0, block.length - block.filled);
    block.data.set(bytes, block.filled);
    block.filled += bytes.byteLength;
    if (block.filled === block.length) await this.finishBlock(block);
  }

  private startBlock(header: Extract<SenderMessage, { t: 'block' }>): void {
    const valid = Number.isSafeInteger(header.length) && header.length > 0 && header.length <= BLOCK_BYTES;
    if (!valid || header.offset !== this.state.bytes || header.offset + header.length > this.offer.size) {
      // Sent before the sender saw our request to go back: not the block we wait for.
      this.block = null;
      this.skipping = valid ? header.length : 0;
      return;
    }
    this.block = { ...header, data: new Uint8Array(header.length), filled: 0 };
  }

  private async finishBlock(block: NonNullable<Download['block']>): Promise<void> {
    this.block = null;
    const hash = await sha256(block.data);
    if (base64url(hash) !== block.hash) {
      // Damaged on the way (or in the sender's memory): fetch it again, drop what follows it.
      this.update({ repairedBlocks: this.state.repairedBlocks + 1 });
      this.reply({ t: 'resend', offset: block.offset });
      return;
    }
    await this.sink.write(block.offset, block.data);
    this.hashes[block.offset / BLOCK_BYTES] = hash;
    this.progress(block.offset + block.length);
    this.reply({ t: 'ack', offset: this.state.bytes });
  }

  private async end(digest: string): Promise<void> {
    if (this.state.bytes !== this.offer.size) return; // a re-sent block is still on its way
    const ours = await digestOf(this.hashes.slice(this.attemptFrom / BLOCK_BYTES));
    if (ours !== digest) return this.fail('The file did not arrive intact.');
    await this.sink.close();
    this.reply({ t: 'done' });
    this.teardown();
    this.update({ phase: 'done', bytesPerSecond: 0 });
  }

  private fail(error: string): void {
    if (this.finished) return;
    this.teardown();
    void this.sink.abort();
    this.update({ phase: 'failed', error });
  }

  private reply(message: ReceiverMessage): void {
    if (this.channel?.readyState === 'open') this.channel.send(JSON.stringify(message));
  }

  private progress(bytes: number): void {
    const now = Date.now();
    this.speed.push({ at: now, bytes });
    while (this.speed.length > 2 && now - this.speed[0]!.at > 3000) this.speed.shift();
    const first = this.speed[0]!;
    const seconds = (now - first.at) / 1000;
    this.update({ bytes, bytesPerSecond: seconds > 0 ? (bytes - first.bytes) / seconds : this.state.bytesPerSecond });
  }

  private update(change: Partial<DownloadState>): void {
    this.state = { ...this.state, ...change };
    this.emit('state', this.state);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
