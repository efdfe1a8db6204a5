import type { IceCandidate, RtcSignalBody, Snowflake } from '@parley/protocol';
import { Emitter } from '@parley/sdk';
import { type CallEncryption, restrictCodecsForE2ee } from '../e2ee';
import { CandidateBatcher } from './candidates';
import { keepShareQuality } from './constraints';
import { IceRecovery } from './iceRecovery';
import { MEDIA_SLOTS, type MediaSlot, ignoresDescription, isPolite, slotKind } from './negotiation';

export type PeerLinkEvents = {
  /** A remote track arrived for one slot (it may be silent or black until the peer sends). */
  track: { slot: MediaSlot; track: MediaStreamTrack };
  state: RTCPeerConnectionState;
};

export interface PeerLinkOptions {
  me: Snowflake;
  peer: Snowflake;
  /** The peer's call session: signals from any other session are not for this link. */
  sessionId: string;
  /** We joined after the peer: we make the first offer (and create the transceivers). */
  initiator: boolean;
  rtc: RTCConfiguration;
  /** What we send in each slot right now (null: nothing). */
  outgoing: Record<MediaSlot, MediaStreamTrack | null>;
  /** Encoder settings of the screen share, when one is on. */
  shareEncoding: RTCRtpEncodingParameters | null;
  /** Set when both sides encrypt: transforms go on every sender and receiver before negotiation. */
  encryption: CallEncryption | null;
  signal(body: RtcSignalBody): void;
}

/**
 * One RTCPeerConnection to one other participant. It negotiates the "perfect" way (either side
 * may renegotiate; the polite peer yields when offers cross), carries three fixed transceivers
 * (audio, camera, screen: see MEDIA_SLOTS), trickles ICE candidates in batches, and restarts
 * ICE when the path breaks.
 */
export class PeerLink extends Emitter<PeerLinkEvents> {
  readonly peer: Snowflake;
  readonly sessionId: string;
  readonly pc: RTCPeerConnection;
  private readonly polite: boolean;
  private readonly batcher: CandidateBatcher;
  private readonly slots = new Map<MediaSlot, RTCRtpTransceiver>();
  private readonly protectedTransceivers = new WeakSet<RTCRtpTransceiver>();
  private readonly outgoing: Record<MediaSlot, MediaStreamTrack | null>;
  private shareEncoding: RTCRtpEncodingParameters | null;
  private makingOffer = false;
  private settingRemoteAnswer = false;
  private ignoringOffer = false;
  /** Remote candidates that came before the description they belong to. */
  private earlyCandidates: IceCandidate[] = [];
  private readonly recovery: IceRecovery;
  private closed = false;

  constructor(private readonly options: PeerLinkOptions) {
    super();
    this.peer = options.peer;
    this.sessionId = options.sessionId;
    this.polite = isPolite(options.me, options.peer);
    this.outgoing = { ...options.outgoing };
    this.shareEncoding = options.shareEncoding;
    this.pc = new RTCPeerConnection(options.rtc);
    this.recovery = new IceRecovery(this.pc, () => this.pc.restartIce());
    this.batcher = new CandidateBatcher((candidates) => options.signal({ type: 'candidates', candidates }));
    this.pc.onicecandidate = ({ candidate }) => this.batcher.add(candidate ? candidate.toJSON() : null);
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.ontrack = ({ transceiver, track }) => {
      const slot = this.slotOf(transceiver);
      if (slot) this.emit('track', { slot, track });
    };
    this.pc.onconnectionstatechange = () => this.connectionChanged();
    if (options.initiator) {
      for (const slot of MEDIA_SLOTS) {
        const transceiver = this.pc.addTransceiver(this.outgoing[slot] ?? slotKind(slot), { direction: 'sendrecv' });
        this.slots.set(slot, transceiver);
        this.prepare(transceiver);
      }
    }
  }

  /** A description or candidates from the peer (media keys are the session's business). */
  async receive(body: Extract<RtcSignalBody, { type: 'description' | 'candidates' }>): Promise<void> {
    if (this.closed) return;
    if (body.type === 'candidates') {
      for (const candidate of body.candidates) await this.addCandidate(candidate);
      return;
    }
    const { description } = body;
    const state = { makingOffer: this.makingOffer, signalingState: this.pc.signalingState, settingRemoteAnswer: this.settingRemoteAnswer };
    this.ignoringOffer = ignoresDescription(description.type, this.polite, state);
    if (this.ignoringOffer) return;
    this.settingRemoteAnswer = description.type === 'answer';
    try {
      await this.pc.setRemoteDescription(description);
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (this.closed) return;
    if (description.type === 'offer') {
      this.adoptTransceivers();
      await this.pc.setLocalDescription();
      this.sendDescription();
    }
    for (const candidate of this.earlyCandidates.splice(0)) await this.addCandidate(candidate);
    await this.applyShareEncoding();
  }

  /** Swaps what we send in a slot (no renegotiation: the transceiver is already there). */
  async setTrack(slot: MediaSlot, track: MediaStreamTrack | null, shareEncoding: RTCRtpEncodingParameters | null = this.shareEncoding): Promise<void> {
    this.outgoing[slot] = track;
    if (slot === 'screen') this.shareEncoding = shareEncoding;
    const transceiver = this.slots.get(slot);
    if (!transceiver || this.closed) return;
    await transceiver.sender.replaceTrack(track);
    if (slot === 'screen') await this.applyShareEncoding();
  }

  /**
   * Restarts ICE; the next offer carries new credentials. A failed path is retried a few times;
   * a network change (`networkChanged`) always restarts, as the old paths may all be gone.
   */
  restartIce(networkChanged = false): void {
    // Nothing was negotiated yet: the first offer is still to come and will gather afresh.
    if (this.closed || !this.pc.remoteDescription) return;
    this.recovery.attempt(networkChanged);
  }

  /** The receiver and sender of one slot, for statistics. */
  transceiver(slot: MediaSlot): RTCRtpTransceiver | null {
    return this.slots.get(slot) ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.clear();
    this.recovery.close();
    this.pc.close();
  }

  private async offer(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.sendDescription();
    } catch (error) {
      console.warn(`Call: offer to ${this.peer} failed`, error);
    } finally {
      this.makingOffer = false;
    }
  }

  private sendDescription(): void {
    const description = this.pc.localDescription;
    if (!description || this.closed) return;
    // Candidates of an earlier round go out before the description that starts a new one.
    this.batcher.flush();
    this.options.signal({ type: 'description', description: { type: description.type as 'offer' | 'answer', sdp: description.sdp } });
  }

  private async addCandidate(candidate: IceCandidate): Promise<void> {
    if (!this.pc.remoteDescription) {
      this.earlyCandidates.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates for an offer we ignored (glare) are expected to fail; anything else is worth a note.
      if (!this.ignoringOffer) console.warn(`Call: a candidate from ${this.peer} was refused`, error);
    }
  }

  /**
   * The answering side: the peer's offer created the transceivers, in slot order. Before the
   * answer is made, each gets our track, sends as well as receives, and is protected.
   */
  private adoptTransceivers(): void {
    const transceivers = this.pc.getTransceivers();
    MEDIA_SLOTS.forEach((slot, index) => {
      const transceiver = transceivers[index];
      if (!transceiver || this.slots.has(slot)) return;
      this.slots.set(slot, transceiver);
      transceiver.direction = 'sendrecv';
      void transceiver.sender.replaceTrack(this.outgoing[slot]);
      this.prepare(transceiver);
    });
  }

  /** Encryption transforms and the codecs they handle, before the transceiver is negotiated. */
  private prepare(transceiver: RTCRtpTransceiver): void {
    const encryption = this.options.encryption;
    if (!encryption || this.protectedTransceivers.has(transceiver)) return;
    this.protectedTransceivers.add(transceiver);
    restrictCodecsForE2ee(transceiver);
    encryption.protectSender(transceiver.sender);
    encryption.protectReceiver(transceiver.receiver, this.peer);
  }

  private slotOf(transceiver: RTCRtpTransceiver): MediaSlot | null {
    for (const [slot, candidate] of this.slots) if (candidate === transceiver) return slot;
    // Answering side: ontrack fires during setRemoteDescription, before adoptTransceivers ran.
    const index = this.pc.getTransceivers().indexOf(transceiver);
    return MEDIA_SLOTS[index] ?? null;
  }

  /**
   * The screen share's quality (keepShareQuality), once there is something negotiated to apply it to.
   */
  private async applyShareEncoding(): Promise<void> {
    const sender = this.slots.get('screen')?.sender;
    if (!sender || !this.shareEncoding || !sender.track || !this.pc.remoteDescription) return;
    await keepShareQuality(sender, this.shareEncoding);
  }

  private connectionChanged(): void {
    this.emit('state', this.pc.connectionState);
    this.recovery.changed();
  }
}
