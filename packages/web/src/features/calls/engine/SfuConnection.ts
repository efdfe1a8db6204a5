import type { SfuFeed, SfuSignal, SfuSignalSend, SfuSubscribedStream, Snowflake } from '@parley/protocol';
import { Emitter } from '@parley/sdk';
import { type CallEncryption, restrictCodecsForE2ee } from '../e2ee';
import { CandidateBatcher } from './candidates';
import { keepShareQuality } from './constraints';
import { IceRecovery } from './iceRecovery';
import { MEDIA_SLOTS, type MediaSlot, slotKind } from './negotiation';
import { type SfuRequest, SfuRetry } from './sfuRetry';

/**
 * A call through the SFU (docs/calls.md, "Big calls"): two connections to Janus instead of one
 * per participant. The publisher sends our three slots (audio, camera, screen: mids 0, 1, 2,
 * the order the server relies on), the camera in three simulcast layers; the subscriber
 * receives the streams `want` lists, each tagged with whose it is and which slot. Frames are
 * encrypted end to end on both: the SFU forwards what it cannot read.
 */

export type SfuConnectionEvents = {
  track: { userId: Snowflake; slot: MediaSlot; track: MediaStreamTrack };
  /** The subscriber's connection state (what the tiles show for everyone). */
  state: RTCPeerConnectionState;
  /** Who publishes now changed. */
  feeds: SfuFeed[];
  error: string;
  /** The SFU kept refusing a request: what to tell the person. */
  failed: string;
};

export interface SfuConnectionOptions {
  channelId: Snowflake;
  rtc: RTCConfiguration;
  outgoing: Record<MediaSlot, MediaStreamTrack | null>;
  shareEncoding: RTCRtpEncodingParameters | null;
  encryption: CallEncryption | null;
  send(d: SfuSignalSend): void;
}

/**
 * Camera layers, highest first as Janus expects them (rid h, m, l; substream 2, 1, 0): full,
 * half and quarter size. Each receiver takes the one that fills the tile it shows.
 */
const CAMERA_LAYERS: RTCRtpEncodingParameters[] = [
  { rid: 'h', maxBitrate: 1_200_000 },
  { rid: 'm', maxBitrate: 400_000, scaleResolutionDownBy: 2 },
  { rid: 'l', maxBitrate: 120_000, scaleResolutionDownBy: 4 },
];

/**
 * The smallest camera layer at least as wide as a tile `width` device pixels wide, reckoned on a
 * 720p webcam (layers 320, 640 and 1,280 wide): a strip thumbnail gets the quarter-size layer, a
 * focused tile the full one.
 */
export function cameraLayerFor(width: number): 0 | 1 | 2 {
  if (width <= 320) return 0;
  return width <= 640 ? 1 : 2;
}

/** One of the subscriber's m-lines, as `describeReceived` lists it. */
export interface SfuReceivedLine {
  mid: string | null;
  direction: RTCRtpTransceiverDirection | null;
  feed: string | null;
  userId: Snowflake | null;
  slot: MediaSlot | null;
}

/** One received stream: whose, and which slot. */
interface Received extends SfuSubscribedStream {
  userId: Snowflake;
  slot: MediaSlot;
}

export class SfuConnection extends Emitter<SfuConnectionEvents> {
  readonly publisher: RTCPeerConnection;
  subscriber: RTCPeerConnection | null = null;
  private readonly slots = new Map<MediaSlot, RTCRtpTransceiver>();
  private readonly publisherCandidates: CandidateBatcher;
  private subscriberCandidates: CandidateBatcher | null = null;
  private feeds: SfuFeed[] = [];
  /** What the SFU's last applied offer listed. */
  private offered: SfuSubscribedStream[] = [];
  /** Of those, the streams we know whose they are, by our subscriber's mid. */
  private received = new Map<string, Received>();
  /** The stream each of our subscriber's transceivers was last announced (`track`) with: each is announced once. */
  private readonly announced = new WeakMap<RTCRtpTransceiver, string>();
  /** Which user each receiver decrypts for (a mid can be reused for someone else). */
  private readonly protectedFor = new WeakMap<RTCRtpReceiver, Snowflake>();
  private signals: Promise<void> = Promise.resolve();
  private wanted: { feed: string; mid: string }[] = [];
  private lastWanted = '';
  private layers: { mid: string; substream: 0 | 1 | 2 }[] = [];
  private lastLayers = '';
  private closed = false;
  private readonly publisherRecovery: IceRecovery;
  private subscriberRecovery: IceRecovery | null = null;
  private readonly retry = new SfuRetry(
    (request) => this.askAgain(request),
    () => this.emit('failed', 'The media server is not answering: some people may not be heard. Leave the call and join again.'),
  );

  constructor(private readonly options: SfuConnectionOptions) {
    super();
    this.publisher = new RTCPeerConnection(options.rtc);
    this.publisherCandidates = new CandidateBatcher((candidates) => this.send({ type: 'candidates', channel_id: options.channelId, peer: 'publisher', candidates }));
    this.publisher.onicecandidate = ({ candidate }) => this.publisherCandidates.add(candidate ? candidate.toJSON() : null);
    this.publisherRecovery = new IceRecovery(this.publisher, () => this.restartPublisher());
    this.publisher.onconnectionstatechange = () => this.publisherRecovery.changed();
    for (const slot of MEDIA_SLOTS) {
      const init: RTCRtpTransceiverInit = { direction: 'sendonly', ...(slot === 'camera' && { sendEncodings: CAMERA_LAYERS }) };
      const transceiver = this.publisher.addTransceiver(options.outgoing[slot] ?? slotKind(slot), init);
      this.slots.set(slot, transceiver);
      if (options.encryption) {
        restrictCodecsForE2ee(transceiver);
        options.encryption.protectSender(transceiver.sender);
      }
    }
  }

  /** Sends our offer; the SFU's answer and who publishes follow as SFU_SIGNAL. */
  async start(): Promise<void> {
    await this.publisher.setLocalDescription();
    const offer = this.publisher.localDescription!;
    this.send({ type: 'publish', channel_id: this.options.channelId, description: { type: 'offer', sdp: offer.sdp } });
  }

  /** The SFU's signals, applied one at a time in the order they came (an offer may follow another at once). */
  onSignal(signal: SfuSignal): Promise<void> {
    const next = this.signals.then(() => this.apply(signal));
    // A failed one must not stop the next.
    this.signals = next.catch(() => undefined);
    return next;
  }

  private async apply(signal: SfuSignal): Promise<void> {
    if (this.closed) return;
    switch (signal.type) {
      case 'answer':
        this.retry.succeeded('publish');
        await this.publisher.setRemoteDescription(signal.description);
        await this.applyShareEncoding();
        return;
      case 'feeds':
        this.feeds = signal.feeds;
        // An offer may list a stream before the feeds that say whose it is.
        this.tagOffered();
        this.announceTracks();
        this.emit('feeds', signal.feeds);
        return;
      case 'offer':
        this.retry.succeeded('subscribe');
        this.retry.succeeded('restart');
        return this.answer(signal.description, signal.streams);
      case 'error':
        this.emit('error', signal.message);
        if (signal.request !== 'candidates') this.retry.failed(signal.request);
        return;
      case 'media':
        return;
    }
  }

  /** Who publishes now (ourselves excluded). */
  publishers(): SfuFeed[] {
    return this.feeds;
  }

  /**
   * The streams to receive, all of them each time (only what is shown: a person on a poor link
   * receives audio alone). Sent only when it changed.
   */
  want(streams: { feed: string; mid: string }[]): void {
    this.wanted = streams;
    const key = JSON.stringify([...streams].sort((a, b) => `${a.feed}/${a.mid}`.localeCompare(`${b.feed}/${b.mid}`)));
    if (key === this.lastWanted || this.closed) return;
    this.lastWanted = key;
    this.send({ type: 'subscribe', channel_id: this.options.channelId, streams });
  }

  /** The simulcast layer of each user's camera we receive (0 the smallest, 2 full size). */
  setLayers(layerOf: (userId: Snowflake) => 0 | 1 | 2): void {
    const layers = [...this.received.values()].filter((r) => r.slot === 'camera').map((r) => ({ mid: r.mid, substream: layerOf(r.userId) }));
    const key = JSON.stringify(layers);
    if (!layers.length || key === this.lastLayers || this.closed) return;
    this.layers = layers;
    this.lastLayers = key;
    this.send({ type: 'layers', channel_id: this.options.channelId, layers });
  }

  /** Swaps what we send in a slot (no renegotiation: the transceivers are there from the start). */
  async setTrack(slot: MediaSlot, track: MediaStreamTrack | null, shareEncoding?: RTCRtpEncodingParameters | null): Promise<void> {
    if (slot === 'screen' && shareEncoding !== undefined) this.options.shareEncoding = shareEncoding;
    this.options.outgoing[slot] = track;
    await this.slots.get(slot)?.sender.replaceTrack(track);
    if (slot === 'screen') await this.applyShareEncoding();
  }

  /** The receivers of one user's streams (for statistics). */
  receiversOf(userId: Snowflake): Partial<Record<MediaSlot, RTCRtpTransceiver>> {
    const found: Partial<Record<MediaSlot, RTCRtpTransceiver>> = {};
    for (const transceiver of this.subscriber?.getTransceivers() ?? []) {
      const stream = this.streamOn(transceiver);
      if (stream?.userId === userId) found[stream.slot] = transceiver;
    }
    return found;
  }

  /**
   * What each of the subscriber's m-lines carries as we know it (for a failing test's log): its
   * mid, the stream we tagged it with, and whether it receives.
   */
  describeReceived(): SfuReceivedLine[] {
    return (this.subscriber?.getTransceivers() ?? []).map((transceiver) => {
      const stream = this.streamOn(transceiver);
      return { mid: transceiver.mid, direction: transceiver.currentDirection, feed: stream?.feed ?? null, userId: stream?.userId ?? null, slot: stream?.slot ?? null };
    });
  }

  /** Our publisher's transceiver of a slot (for statistics). */
  sender(slot: MediaSlot): RTCRtpTransceiver | null {
    return this.slots.get(slot) ?? null;
  }

  /** A network change: new ICE credentials for both connections. */
  restartIce(): void {
    this.publisherRecovery.attempt(true);
    this.subscriberRecovery?.attempt(true);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.retry.close();
    this.publisherRecovery.close();
    this.subscriberRecovery?.close();
    this.publisherCandidates.clear();
    this.subscriberCandidates?.clear();
    this.publisher.close();
    this.subscriber?.close();
  }

  // ————— inside —————

  private restartPublisher(): void {
    if (this.closed || !this.publisher.remoteDescription) return;
    void this.publisher
      .createOffer({ iceRestart: true })
      .then(async (offer) => {
        await this.publisher.setLocalDescription(offer);
        this.send({ type: 'publish', channel_id: this.options.channelId, description: { type: 'offer', sdp: offer.sdp! } });
      })
      .catch((error: unknown) => console.warn('Call: could not restart the connection to the media server', error));
  }

  /** The subscriber's offers come from the SFU: it is asked for one with new ICE credentials. */
  private restartSubscriber(): void {
    if (!this.closed && this.subscriber?.remoteDescription) this.send({ type: 'restart', channel_id: this.options.channelId });
  }

  /** A request the SFU refused, asked again with what holds now. */
  private askAgain(request: SfuRequest): void {
    if (this.closed) return;
    switch (request) {
      case 'publish': {
        // The first offer was refused: the same one again (the SFU starts afresh); later ones were ICE restarts.
        const offer = this.publisher.localDescription;
        if (!this.publisher.remoteDescription && offer) this.send({ type: 'publish', channel_id: this.options.channelId, description: { type: 'offer', sdp: offer.sdp } });
        else this.restartPublisher();
        return;
      }
      case 'subscribe':
        this.lastWanted = '';
        return this.want(this.wanted);
      case 'start':
      case 'restart':
        // A new offer from the SFU, which our answer starts again.
        return this.restartSubscriber();
      case 'layers':
        if (this.layers.length) this.send({ type: 'layers', channel_id: this.options.channelId, layers: this.layers });
        return;
      case 'candidates':
        return;
    }
  }

  private send(d: SfuSignalSend): void {
    if (!this.closed) this.options.send(d);
  }

  private async answer(offer: RTCSessionDescriptionInit, streams: SfuSubscribedStream[]): Promise<void> {
    const pc = this.subscriber ?? this.openSubscriber();
    await pc.setRemoteDescription(offer);
    if (this.closed) return;
    // Only once the transceivers carry it (an offer that failed to apply tags nothing).
    this.offered = streams;
    this.tagOffered();
    this.announceTracks();
    await pc.setLocalDescription();
    this.send({ type: 'start', channel_id: this.options.channelId, description: { type: 'answer', sdp: pc.localDescription!.sdp } });
  }

  /** The received stream one of our subscriber's transceivers carries, if we know whose it is. */
  private streamOn(transceiver: RTCRtpTransceiver): Received | undefined {
    return transceiver.mid !== null ? this.received.get(transceiver.mid) : undefined;
  }

  /** Whose each offered stream is and which slot, from the feeds we were told about (the publisher named its streams). */
  private tagOffered(): void {
    this.received = new Map(
      this.offered.flatMap((stream) => {
        const feed = this.feeds.find((f) => f.feed === stream.feed);
        const slot = MEDIA_SLOTS.find((s) => s === stream.description);
        return feed && slot ? [[stream.mid, { ...stream, userId: feed.user_id, slot }] as const] : [];
      }),
    );
  }

  /**
   * Announces each received stream not announced yet, once we know whose it is. Not from the
   * connection's `track` events: those fire once per transceiver as it starts receiving, so they
   * miss an m-line the SFU reused for someone else in one offer, and a stream whose feed we
   * heard of only after its offer.
   */
  private announceTracks(): void {
    for (const transceiver of this.subscriber?.getTransceivers() ?? []) {
      const stream = this.streamOn(transceiver);
      if (!stream) {
        this.announced.delete(transceiver);
        continue;
      }
      const announcement = `${stream.feed}/${stream.feed_mid}`;
      if (this.announced.get(transceiver) === announcement) continue;
      this.announced.set(transceiver, announcement);
      this.protect(transceiver.receiver, stream.userId);
      this.emit('track', { userId: stream.userId, slot: stream.slot, track: transceiver.receiver.track });
    }
  }

  private openSubscriber(): RTCPeerConnection {
    const pc = new RTCPeerConnection(this.options.rtc);
    this.subscriber = pc;
    this.subscriberCandidates = new CandidateBatcher((candidates) => this.send({ type: 'candidates', channel_id: this.options.channelId, peer: 'subscriber', candidates }));
    pc.onicecandidate = ({ candidate }) => this.subscriberCandidates?.add(candidate ? candidate.toJSON() : null);
    const recovery = new IceRecovery(pc, () => this.restartSubscriber());
    this.subscriberRecovery = recovery;
    pc.onconnectionstatechange = () => {
      recovery.changed();
      if (pc.connectionState === 'connected') this.retry.succeeded('start');
      this.emit('state', pc.connectionState);
    };
    return pc;
  }

  /** Decryption for the user whose stream this receiver carries now, before its first frame. */
  private protect(receiver: RTCRtpReceiver, userId: Snowflake): void {
    const encryption = this.options.encryption;
    if (!encryption || this.protectedFor.get(receiver) === userId) return;
    this.protectedFor.set(receiver, userId);
    encryption.protectReceiver(receiver, userId);
  }

  /** The screen share's quality (keepShareQuality), once the SFU answered. */
  private async applyShareEncoding(): Promise<void> {
    const sender = this.slots.get('screen')?.sender;
    const encoding = this.options.shareEncoding;
    if (!sender || !encoding || !sender.track || !this.publisher.remoteDescription) return;
    await keepShareQuality(sender, encoding);
  }
}
