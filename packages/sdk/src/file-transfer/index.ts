import { type EncryptedEnvelope, type FileOffer, type FileSignal, type Message, type Snowflake, routes } from '@parley/protocol';
import { Emitter } from '../emitter';
import type { RestClient } from '../rest';
import { Download, type FileSink } from './download';
import { Signaller } from './signaller';
import { Upload, type UploadProgress } from './upload';
import { randomId } from './wire';

export { Download, type DownloadPhase, type DownloadState, type FileSink } from './download';
export type { UploadProgress } from './upload';

export interface FileTransferOptions {
  rest: RestClient;
  /** FILE_SIGNAL dispatches from the gateway. */
  onSignal(listener: (signal: FileSignal) => void): () => void;
  /** The STUN and TURN servers calls use (GET /calls/ice-servers). */
  iceServers(): Promise<RTCIceServer[]>;
}

/** What this tab shares: each receiver's progress, by their tab. */
export interface ShareState {
  offer: FileOffer;
  channelId: Snowflake;
  receivers: UploadProgress[];
}

/**
 * Files sent peer to peer (docs/file-transfer.md), for one browser tab: it offers files in
 * messages and serves them to whoever asks while it stays open, and it downloads files others
 * offer. The server relays only signaling; the bytes go over a WebRTC data channel between
 * the two browsers (through TURN when they cannot reach each other), encrypted by DTLS.
 */
export class FileTransfers extends Emitter<{ share: ShareState }> {
  private readonly signaller: Signaller;
  private readonly shares = new Map<string, { file: Blob; state: ShareState; uploads: Map<string, Upload> }>();
  private readonly downloads = new Map<string, Download>();
  private readonly stopListening: () => void;

  constructor(private readonly options: FileTransferOptions) {
    super();
    this.signaller = new Signaller(options.rest, randomId());
    this.stopListening = options.onSignal((signal) => void this.route(signal).catch(() => undefined));
  }

  /**
   * Posts a message offering `file` to the channel; this tab serves it until it closes or stops
   * sharing. In an encrypted conversation, `seal` puts the offer inside the message's envelope
   * (EncryptedConversations.sealFileOffer): the server never learns the file's name or size.
   */
  async share(channelId: Snowflake, file: File, seal?: (offer: FileOffer) => Promise<EncryptedEnvelope>): Promise<{ message: Message; offer: FileOffer }> {
    const offer: FileOffer = { id: randomId(), filename: file.name || 'file', size: file.size, content_type: file.type || 'application/octet-stream' };
    // Registered first: someone may ask the moment the message arrives.
    this.shares.set(offer.id, { file, state: { offer, channelId, receivers: [] }, uploads: new Map() });
    try {
      const body = seal ? { encrypted: await seal(offer) } : { file_offer: offer };
      return { message: await this.options.rest.request(routes.messages.create, { params: { channel_id: channelId }, body }), offer };
    } catch (error) {
      this.shares.delete(offer.id);
      throw error;
    }
  }

  /** Whether this tab holds the file an offer names (so it can serve it). */
  isSharing(offerId: string): boolean {
    return this.shares.has(offerId);
  }

  shareState(offerId: string): ShareState | undefined {
    return this.shares.get(offerId)?.state;
  }

  stopSharing(offerId: string): void {
    const share = this.shares.get(offerId);
    if (!share) return;
    this.shares.delete(offerId);
    for (const upload of share.uploads.values()) upload.close();
  }

  /** Fetches an offered file from its sender into `sink`. The one download of this offer in this tab. */
  download(message: Pick<Message, 'channel_id' | 'author'>, offer: FileOffer, sink: FileSink): Download {
    this.downloads.get(offer.id)?.cancel();
    const download = new Download(message.channel_id, message.author.id, offer, sink, this.signaller, this.options.iceServers);
    this.downloads.set(offer.id, download);
    void download.start();
    return download;
  }

  /** The download of an offer started in this tab, if any. */
  downloadOf(offerId: string): Download | undefined {
    return this.downloads.get(offerId);
  }

  close(): void {
    this.stopListening();
    for (const id of [...this.shares.keys()]) this.stopSharing(id);
    for (const download of this.downloads.values()) download.cancel();
  }

  private async route(signal: FileSignal): Promise<void> {
    if (signal.to_peer !== undefined && signal.to_peer !== this.signaller.peer) return;
    const share = this.shares.get(signal.offer_id);
    if (share && signal.type === 'request') return this.serve(share, signal);
    const upload = share?.uploads.get(signal.from_peer);
    if (upload) return upload.onSignal(signal);
    await this.downloads.get(signal.offer_id)?.onSignal(signal);
  }

  /** Someone who can read the channel (the server checked) asked for a file this tab shares. */
  private async serve(share: { file: Blob; state: ShareState; uploads: Map<string, Upload> }, request: Extract<FileSignal, { type: 'request' }>): Promise<void> {
    if (request.channel_id !== share.state.channelId || request.offset > share.state.offer.size) return;
    share.uploads.get(request.from_peer)?.close();
    const upload = new Upload(share.file, share.state.offer, request, this.signaller, await this.options.iceServers(), (progress) => {
      share.state = { ...share.state, receivers: [...share.state.receivers.filter((r) => r.peer !== progress.peer), progress] };
      if (!progress.active && share.uploads.get(progress.peer) === upload) share.uploads.delete(progress.peer);
      this.emit('share', share.state);
    });
    share.uploads.set(request.from_peer, upload);
    await upload.start();
  }
}
