import type { CallMedia, RtcSignal, RtcSignalBody, RtcSignalSend, SfuSignal, SfuSignalSend, Snowflake, VoiceError, VoiceState, VoiceStateUpdate } from '@parley/protocol';
import { Emitter } from '@parley/sdk';
import { type CallEncryption, createCallEncryption, isE2eeSupported } from '../e2ee';
import { markCall } from '../marks';
import type { VoiceSettings } from '../voiceSettings';
import { AudioOut } from './AudioOut';
import type { ShareQuality } from './constraints';
import { LocalMedia } from './LocalMedia';
import type { MediaSlot } from './negotiation';
import { PeerLink } from './PeerLink';
import { PushToTalkKey, transmits } from './pushToTalk';
import { SfuConnection, cameraLayerFor } from './SfuConnection';
import { type LinkSample, type Quality, qualityBetween, sampleOf } from './quality';
import { SpeakingDetector } from './speaking';
import { type CallStats, linkStats, sfuPeerStats } from './stats';

/** What the engine needs from the app: who we are and the gateway, nothing Vue. */
export interface CallTransport {
  me: Snowflake;
  /** Our gateway session now (it changes when the session is invalidated). */
  sessionId(): string | null;
  /** Everyone in a call now, as the cache knows it. */
  voiceStatesIn(channelId: Snowflake): VoiceState[];
  updateVoiceState(d: VoiceStateUpdate): void;
  sendRtcSignal(d: RtcSignalSend): void;
  /** A request to the SFU, when the call goes through it (op 41). */
  sendSfuSignal(d: SfuSignalSend): void;
  /** STUN/TURN servers for this call (empty when the instance has none). */
  iceServers(): Promise<RTCIceServer[]>;
}

export type CallEndReason = 'left' | 'error' | 'moved_to_other_device' | 'moved_to_other_call' | 'access_lost' | 'timed_out' | 'moved' | 'disconnected' | 'removed';

export type CallSessionEvents = {
  /** Our voice state is in the call: links are being made. */
  joined: undefined;
  ended: { reason: CallEndReason; message: string | null };
  /** A person's camera or screen stream (theirs or, for `me`, our own preview); null when it went away. */
  video: { userId: Snowflake; slot: 'camera' | 'screen'; stream: MediaStream | null };
  speaking: { userId: Snowflake; speaking: boolean };
  link: { userId: Snowflake; state: RTCPeerConnectionState; quality: Quality };
  /** Our microphone goes out (or stops): push-to-talk, mute, deafen. */
  transmitting: boolean;
  /** Whether every participant encrypts, and the code they can compare. */
  encryption: { encrypted: boolean; code: string | null };
  /** Something the person should know that does not end the call (a device that would not open). */
  notice: string;
  /** A moderator server-muted or -deafened us (or lifted it): we neither send nor, deafened, play. */
  server: { mute: boolean; deaf: boolean };
};

export interface CallSessionOptions {
  channelId: Snowflake;
  guildId: Snowflake | null;
  transport: CallTransport;
  /** The user's voice settings, read live (device changes are pushed with the set* methods). */
  settings: VoiceSettings;
  /** Our flags at join (the store remembers mute and deafen between calls, like Discord). */
  selfMute: boolean;
  selfDeaf: boolean;
  /** Join with the camera on (a video call). */
  video?: boolean;
}

/** How long we wait for the server to put us in the call before giving up. */
const JOIN_TIMEOUT_MS = 15_000;
const SPEAKING_POLL_MS = 100;
const STATS_POLL_MS = 2_000;
/** Signals from a participant whose voice state has not arrived yet, kept until it does (few: an offer, a key, candidates). */
const MAX_EARLY_SIGNALS = 40;

/**
 * One call (a voice channel or a DM) from joining to leaving: our devices, one PeerLink per
 * other participant (mesh), media keys when encrypted end to end, push-to-talk, speaking and
 * connection quality. The store feeds it gateway events and turns its events into UI state.
 *
 * Who offers: whoever joins sends offers to everyone already in the call, once the server
 * confirms the join (our own VOICE_STATE_UPDATE); those already there wait for that offer. A
 * participant seen with a new session ID (rejoined after a drop, or another device) gets a
 * fresh link and sends the offer. After that either side may renegotiate (ICE restarts).
 */
export class CallSession extends Emitter<CallSessionEvents> {
  readonly channelId: Snowflake;
  readonly guildId: Snowflake | null;
  state: 'joining' | 'joined' | 'ended' = 'joining';
  selfMute: boolean;
  selfDeaf: boolean;
  /** Server mute and deafen, from our voice state: they win over our own flags until lifted. */
  serverMute = false;
  serverDeaf = false;
  private readonly transport: CallTransport;
  private readonly settings: VoiceSettings;
  private readonly withVideo: boolean;
  private readonly media = new LocalMedia();
  private readonly audio = new AudioOut();
  private readonly links = new Map<Snowflake, PeerLink>();
  /** How media flows: a link per participant (mesh), or two connections to the SFU (a big call). */
  private mediaPath: CallMedia = 'mesh';
  private sfu: SfuConnection | null = null;
  /** How wide (device pixels) each person's camera tile is shown: the SFU sends the layer that fills it. */
  private readonly shownWidths = new Map<Snowflake, number>();
  /** The voice state each link was made for (its session and public key). */
  private readonly peers = new Map<Snowflake, VoiceState>();
  private readonly earlySignals = new Map<Snowflake, RtcSignal[]>();
  private readonly samples = new Map<Snowflake, LinkSample>();
  private readonly detectors = new Map<string, SpeakingDetector>();
  private readonly speaking = new Set<string>();
  private readonly pushToTalk: PushToTalkKey;
  private encryption: CallEncryption | null = null;
  private iceServers: RTCIceServer[] = [];
  private transmittingNow = false;
  private joinTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(options: CallSessionOptions) {
    super();
    this.channelId = options.channelId;
    this.guildId = options.guildId;
    this.transport = options.transport;
    this.settings = options.settings;
    this.selfMute = options.selfMute;
    this.selfDeaf = options.selfDeaf;
    this.withVideo = options.video ?? false;
    this.pushToTalk = new PushToTalkKey(
      () => this.settings.pushToTalkKey,
      () => void this.updateTransmitting(),
    );
  }

  /**
   * Asks the server to join as soon as the encryption keys (they go in the request) and the ICE
   * servers (the links need them) are there, with the microphone opening meanwhile: the offers go
   * out when the server confirms, and the microphone joins them when it opens, like an unmute
   * (what others hear first comes from their side anyway). A video call's camera is opened
   * before the request, which says it is on. Resolves once the microphone is open (or would not
   * open: then we are muted); `joined` or `ended` tells how the join went.
   */
  async start(): Promise<void> {
    markCall('microphone-requested');
    const microphone = this.openMicrophone().finally(() => markCall('microphone-open'));
    const [iceServers, encryption] = await Promise.all([
      this.transport.iceServers().finally(() => markCall('ice-servers')),
      this.openEncryption().finally(() => markCall('encryption')),
      this.withVideo && this.openCamera(),
    ]);
    // Left (or replaced by another join) while devices were opening.
    if (this.state === 'ended') {
      encryption?.close();
      await microphone;
      this.media.stopAll();
      return;
    }
    this.iceServers = iceServers;
    this.encryption = encryption;
    void this.audio.setSink(this.settings.outputDeviceId);
    this.audio.setDeafened(this.selfDeaf);
    this.watchNetwork();
    this.timers.push(setInterval(() => this.pollSpeaking(), SPEAKING_POLL_MS));
    this.timers.push(setInterval(() => void this.pollQuality(), STATS_POLL_MS));
    const selfMute = this.selfMute;
    this.sendVoiceState();
    markCall('voice-state-sent');
    this.joinTimer = setTimeout(() => this.end('error', 'Could not join the call. Check your connection and try again.'), JOIN_TIMEOUT_MS);
    await microphone;
    this.microphoneSettled(selfMute);
  }

  /** The microphone opened (or would not: we are muted) after we asked to join with `mutedAtJoin`. */
  private microphoneSettled(mutedAtJoin: boolean): void {
    // Left meanwhile: the microphone that just opened closes too.
    if (this.state === 'ended') {
      this.media.stopAll();
      return;
    }
    if (this.selfMute !== mutedAtJoin) this.flagsChanged();
    else void this.updateTransmitting();
  }

  // ————— what the person does —————

  leave(): void {
    if (this.state === 'ended') return;
    this.transport.updateVoiceState({ guild_id: null, channel_id: null, self_mute: this.selfMute, self_deaf: this.selfDeaf });
    this.end('left', null);
  }

  setMuted(muted: boolean): void {
    this.selfMute = muted;
    // Unmuting while deafened undeafens too (you cannot speak into a call you cannot hear, as in Discord).
    if (!muted && this.selfDeaf) this.setDeafenedOnly(false);
    this.flagsChanged();
  }

  setDeafened(deafened: boolean): void {
    this.setDeafenedOnly(deafened);
    this.flagsChanged();
  }

  /** Turns the camera on or off; resolves with whether it is on (it may fail to open). */
  async setVideo(on: boolean): Promise<boolean> {
    if (on && !(await this.openCamera())) return this.media.camera !== null;
    if (!on) {
      this.media.stopCamera();
      this.emit('video', { userId: this.transport.me, slot: 'camera', stream: null });
    }
    await this.sendSlot('camera', this.media.camera);
    this.flagsChanged();
    return this.media.camera !== null;
  }

  /** Shares a screen or window (the browser asks which) at the chosen quality. */
  async startScreenShare(quality: ShareQuality): Promise<void> {
    try {
      await this.media.openScreen(quality, () => void this.stopScreenShare());
    } catch (error) {
      // Cancelling the browser's picker is a choice, not a failure.
      if (!(error instanceof DOMException && error.name === 'NotAllowedError')) this.emit('notice', `Screen sharing did not start: ${describe(error)}`);
      return;
    }
    await this.sendSlot('screen', this.media.screen, this.media.shareEncoding);
    this.emit('video', { userId: this.transport.me, slot: 'screen', stream: streamOf(this.media.screen) });
    this.flagsChanged();
  }

  async stopScreenShare(): Promise<void> {
    if (!this.media.screen) return;
    this.media.stopScreen();
    await this.sendSlot('screen', null, null);
    this.emit('video', { userId: this.transport.me, slot: 'screen', stream: null });
    this.flagsChanged();
  }

  setVolume(userId: Snowflake, percent: number): void {
    this.audio.setVolume(userId, percent);
  }

  /** How wide (device pixels) someone's camera is shown now; 0 when it is not on screen. */
  setShownWidth(userId: Snowflake, width: number): void {
    if (width > 0) this.shownWidths.set(userId, width);
    else this.shownWidths.delete(userId);
    this.updateLayers();
  }

  /** The microphone device or its processing changed: reopen it and swap it into every link. */
  async reopenMicrophone(): Promise<void> {
    const previous = await this.openMicrophone();
    await this.updateTransmitting(true);
    previous?.stop();
  }

  /** The camera device changed: swap it in while the camera is on. */
  async reopenCamera(): Promise<void> {
    if (!this.media.camera) return;
    await this.setVideo(true);
  }

  /** "Receive video" was switched in settings: a big call's subscriptions follow at once. */
  receiveVideoChanged(): void {
    this.updateSubscriptions();
  }

  /** Voice activity or push-to-talk was switched in settings: the microphone follows at once. */
  inputModeChanged(): void {
    void this.updateTransmitting();
  }

  async setSpeaker(deviceId: string | null): Promise<void> {
    await this.audio.setSink(deviceId);
  }

  // ————— what the gateway says —————

  /** Any VOICE_STATE_UPDATE (the cache has already applied it). */
  onVoiceState(state: VoiceState): void {
    if (this.state === 'ended') return;
    const mine = state.user_id === this.transport.me && state.session_id === this.transport.sessionId();
    if (mine && state.channel_id === this.channelId) {
      this.serverFlags(state);
      this.joinedAsThisSession();
      return;
    }
    if (mine && state.channel_id === null && this.state === 'joined') {
      this.end('removed', 'You were disconnected from the call.');
      return;
    }
    if (this.state === 'joined' && (state.channel_id === this.channelId || this.peers.has(state.user_id))) this.reconcile();
  }

  /**
   * The SFU's side of a big call. `media`: the call goes through it now (it grew past a mesh,
   * or we joined one that had), told before our own voice state so no mesh link is started.
   */
  onSfuSignal(signal: SfuSignal): void {
    if (this.state === 'ended' || signal.channel_id !== this.channelId) return;
    if (signal.type === 'media') {
      if (signal.media === 'sfu' && this.mediaPath === 'mesh') {
        this.mediaPath = 'sfu';
        if (this.state === 'joined') this.openSfu();
      }
      return;
    }
    const sfu = this.sfu;
    void sfu
      ?.onSignal(signal)
      .then(() => {
        if (signal.type === 'feeds') this.updateSubscriptions();
        if (signal.type === 'offer') this.updateLayers();
      })
      .catch((error: unknown) => console.warn(`Call: the SFU's ${signal.type} could not be applied`, error));
  }

  onSignal(signal: RtcSignal): void {
    if (this.state !== 'joined' || signal.channel_id !== this.channelId) return;
    // Through the SFU only media keys still go participant to participant.
    if (this.mediaPath === 'sfu' && signal.type !== 'media_key') return;
    const peer = this.peers.get(signal.from_user_id);
    if (!peer || peer.session_id !== signal.from_session_id) {
      // Its sender's voice state is on its way (or the signal is stale): keep a few until it comes.
      const early = this.earlySignals.get(signal.from_user_id) ?? [];
      if (early.length < MAX_EARLY_SIGNALS) early.push(signal);
      this.earlySignals.set(signal.from_user_id, early);
      return;
    }
    this.deliver(peer, signal);
  }

  onVoiceError(error: VoiceError): void {
    if (this.state === 'joining' && (error.channel_id === this.channelId || error.channel_id === null)) this.end('error', error.message);
    else console.warn(`Call: the server refused a call operation (${error.code}): ${error.message}`);
  }

  onDisconnected(reason: Exclude<CallEndReason, 'left' | 'error' | 'removed'>): void {
    const messages: Record<typeof reason, string> = {
      moved_to_other_device: 'You joined this call from another device.',
      moved_to_other_call: 'You joined another call.',
      access_lost: 'You can no longer connect to this channel.',
      timed_out: 'You were disconnected from the call.',
      moved: 'A moderator moved you to another voice channel.',
      disconnected: 'A moderator disconnected you from the call.',
    };
    this.end(reason, messages[reason]);
  }

  /**
   * Our gateway session was replaced (a fresh READY): the server will drop the old session's
   * voice state, so we join again as the new session; peers see a new session and wait for our offers.
   */
  rejoin(): void {
    if (this.state === 'ended') return;
    this.state = 'joining';
    // The SFU knew us by the old session: the server tells the new one the call's media path again.
    this.closeSfu();
    this.sendVoiceState();
  }

  // ————— for tests and the debug API —————

  /** Media statistics per link (bytes, frames, sizes, candidate types). */
  async stats(): Promise<CallStats> {
    const sfu = this.sfu;
    const peers = sfu
      ? await Promise.all([...this.peers.values()].map((peer) => sfuPeerStats(sfu, peer.user_id, peer.session_id)))
      : await Promise.all([...this.links.values()].map((link) => linkStats(link)));
    const e2ee = this.encryption ? await this.encryption.counters() : null;
    return { channelId: this.channelId, media: sfu ? 'sfu' : 'mesh', transmitting: this.transmittingNow, peers, sfuLines: sfu?.describeReceived() ?? null, e2ee };
  }

  /** What each person's audio measures now (RMS, 0–1, after a server mute's block; key "me": our microphone). */
  levels(): Record<string, number> {
    return Object.fromEntries(this.audio.levels());
  }

  // ————— inside —————

  private async openEncryption(): Promise<CallEncryption | null> {
    if (!this.settings.endToEndEncryption || !isE2eeSupported()) return null;
    try {
      return await createCallEncryption();
    } catch (error) {
      this.emit('notice', `End-to-end encryption is unavailable: ${describe(error)}`);
      return null;
    }
  }

  private async openMicrophone(): Promise<MediaStreamTrack | null> {
    try {
      const previous = await this.media.openMicrophone(this.settings);
      this.audio.listenToMicrophone(this.media.microphone);
      return previous;
    } catch (error) {
      this.selfMute = true;
      this.emit('notice', `Your microphone could not be opened (${describe(error)}). You are muted.`);
      return null;
    }
  }

  /** Opens (or switches) the camera and shows our preview; false if it would not open. */
  private async openCamera(): Promise<boolean> {
    try {
      const previous = await this.media.openCamera(this.settings);
      previous?.stop();
    } catch (error) {
      this.emit('notice', `Your camera could not be opened: ${describe(error)}`);
      return false;
    }
    this.emit('video', { userId: this.transport.me, slot: 'camera', stream: streamOf(this.media.camera) });
    return true;
  }

  private sendVoiceState(): void {
    this.transport.updateVoiceState({
      guild_id: this.guildId,
      channel_id: this.channelId,
      self_mute: this.selfMute,
      self_deaf: this.selfDeaf,
      self_video: this.media.camera !== null,
      self_stream: this.media.screen !== null,
      public_key: this.encryption?.publicKey ?? null,
    });
  }

  private flagsChanged(): void {
    void this.updateTransmitting();
    if (this.state !== 'ended') this.sendVoiceState();
  }

  private setDeafenedOnly(deafened: boolean): void {
    this.selfDeaf = deafened;
    this.audio.setDeafened(deafened || this.serverDeaf);
  }

  /**
   * Our own voice state: a moderator's mute (or no permission to speak here) stops our
   * microphone going out, their deafen our playback too.
   */
  private serverFlags(state: VoiceState): void {
    const mute = state.mute || state.suppress;
    if (mute === this.serverMute && state.deaf === this.serverDeaf) return;
    this.serverMute = mute;
    this.serverDeaf = state.deaf;
    this.audio.setDeafened(this.selfDeaf || this.serverDeaf);
    void this.updateTransmitting();
    this.emit('server', { mute: this.serverMute, deaf: this.serverDeaf });
  }

  /** The server put this session in the call: connect to everyone already there. */
  private joinedAsThisSession(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    const fresh = this.state === 'joining';
    this.state = 'joined';
    if (!fresh) return;
    // A (re)join: links from before belong to an older session of ours, and peers drop them too.
    for (const userId of [...this.links.keys()]) this.dropLink(userId);
    this.emit('joined', undefined);
    void this.updateTransmitting();
    if (this.mediaPath === 'sfu') this.openSfu();
    this.reconcile(true);
  }

  /**
   * Makes the links match the voice states: a link for every other participant's current
   * session, none for those who left. `joining`: we just joined, so we offer to all.
   */
  private reconcile(joining = false): void {
    const states = this.transport.voiceStatesIn(this.channelId).filter((s) => s.user_id !== this.transport.me);
    const present = new Set(states.map((s) => s.user_id));
    let someoneLeft = false;
    for (const userId of [...this.peers.keys()]) {
      if (present.has(userId)) continue;
      this.dropLink(userId);
      this.encryption?.forget(userId);
      someoneLeft = true;
    }
    for (const state of states) {
      // Whoever a moderator server-muted (or deafened), or who may not speak here, is not played,
      // whatever their client sends.
      this.audio.setBlocked(state.user_id, state.mute || state.deaf || state.suppress);
      const known = this.peers.get(state.user_id);
      if (known?.session_id === state.session_id) {
        this.peers.set(state.user_id, state);
        continue;
      }
      if (known) {
        this.dropLink(state.user_id);
        this.encryption?.forget(state.user_id);
      }
      this.openLink(state, joining);
    }
    // Someone left: a new key, so they cannot decrypt what is said after (they may still be recording).
    if (someoneLeft && this.encryption) {
      this.encryption.rotate();
      for (const state of this.peers.values()) this.sendKey(state);
    }
    this.reportEncryption();
    this.updateSubscriptions();
  }

  private openLink(state: VoiceState, initiator: boolean): void {
    const peer = state.user_id;
    this.peers.set(peer, state);
    if (this.mediaPath === 'mesh') this.openMeshLink(state, initiator);
    // Our key goes first: it must be there before the first encrypted frame is.
    this.sendKey(state);
    for (const signal of this.earlySignals.get(peer) ?? []) if (signal.from_session_id === state.session_id) this.deliver(state, signal);
    this.earlySignals.delete(peer);
    this.emit('link', { userId: peer, state: this.sfu?.subscriber?.connectionState ?? 'new', quality: 'unknown' });
  }

  private openMeshLink(state: VoiceState, initiator: boolean): void {
    const peer = state.user_id;
    const encryption = this.encryption && state.public_key ? this.encryption : null;
    const link = new PeerLink({
      me: this.transport.me,
      peer,
      sessionId: state.session_id,
      initiator,
      rtc: { iceServers: this.iceServers, iceTransportPolicy: this.settings.relayOnly ? 'relay' : 'all' },
      outgoing: { audio: this.transmittingNow ? this.media.microphone : null, camera: this.media.camera, screen: this.media.screen },
      shareEncoding: this.media.shareEncoding,
      encryption,
      signal: (body) => this.signal(peer, body),
    });
    this.links.set(peer, link);
    link.on('track', ({ slot, track }) => this.remoteTrack(peer, slot, track));
    link.on('state', (connection) => this.emit('link', { userId: peer, state: connection, quality: 'unknown' }));
  }

  // ————— through the SFU —————

  /**
   * The call moved to the SFU (or we joined it there): publish to it, then receive everyone from
   * it. Mesh links stay until the SFU brings that person's media, so nobody drops out meanwhile.
   */
  private openSfu(): void {
    if (this.sfu || this.state === 'ended') return;
    const sfu = new SfuConnection({
      channelId: this.channelId,
      rtc: { iceServers: this.iceServers, iceTransportPolicy: this.settings.relayOnly ? 'relay' : 'all' },
      outgoing: { audio: this.transmittingNow ? this.media.microphone : null, camera: this.media.camera, screen: this.media.screen },
      shareEncoding: this.media.shareEncoding,
      encryption: this.encryption,
      send: (d) => this.transport.sendSfuSignal(d),
    });
    this.sfu = sfu;
    sfu.on('track', ({ userId, slot, track }) => {
      // Their media comes through the SFU now: the mesh link to them has served its time.
      this.links.get(userId)?.close();
      this.links.delete(userId);
      this.remoteTrack(userId, slot, track);
    });
    sfu.on('state', (connection) => {
      for (const userId of this.peers.keys()) this.emit('link', { userId, state: connection, quality: 'unknown' });
    });
    sfu.on('error', (message) => console.warn(`Call: ${message}`));
    sfu.on('failed', (message) => this.emit('notice', message));
    void sfu.start().catch((error: unknown) => this.emit('notice', `Could not connect to the media server: ${describe(error)}`));
  }

  private closeSfu(): void {
    this.sfu?.close();
    this.sfu = null;
    this.mediaPath = 'mesh';
  }

  /**
   * Receive from the SFU only what is shown: everyone's audio, and cameras and screens that are
   * on, unless this person chose audio only (a poor link).
   */
  private updateSubscriptions(): void {
    const sfu = this.sfu;
    if (!sfu) return;
    const video = this.settings.receiveVideo;
    const streams: { feed: string; mid: string }[] = [];
    for (const feed of sfu.publishers()) {
      const peer = this.peers.get(feed.user_id);
      // The feed of the peer's current session only (a device they left may linger a moment).
      if (!peer || peer.session_id !== feed.feed) continue;
      for (const stream of feed.streams) {
        const shown = stream.description === 'audio' || (video && ((stream.description === 'camera' && peer.self_video) || (stream.description === 'screen' && peer.self_stream)));
        if (shown) streams.push({ feed: feed.feed, mid: stream.mid });
      }
    }
    sfu.want(streams);
  }

  /** Each camera at the SFU's layer that fills its tile (the smallest for one not shown). */
  private updateLayers(): void {
    this.sfu?.setLayers((userId) => cameraLayerFor(this.shownWidths.get(userId) ?? 0));
  }

  private dropLink(userId: Snowflake): void {
    this.links.get(userId)?.close();
    this.links.delete(userId);
    this.peers.delete(userId);
    this.samples.delete(userId);
    this.audio.stop(userId);
    this.detectors.delete(userId);
    if (this.speaking.delete(userId)) this.emit('speaking', { userId, speaking: false });
    this.emit('video', { userId, slot: 'camera', stream: null });
    this.emit('video', { userId, slot: 'screen', stream: null });
  }

  private deliver(peer: VoiceState, signal: RtcSignal): void {
    if (signal.type === 'media_key') {
      if (!this.encryption || !peer.public_key) return;
      if (!this.encryption.acceptKey(peer.user_id, peer.public_key, signal.key)) console.warn(`Call: a media key from ${peer.user_id} did not open`);
      return;
    }
    void this.links
      .get(peer.user_id)
      ?.receive(signal)
      .catch((error: unknown) => console.warn(`Call: signaling with ${peer.user_id} failed`, error));
  }

  private signal(to: Snowflake, body: RtcSignalBody): void {
    if (this.state !== 'ended') this.transport.sendRtcSignal({ channel_id: this.channelId, to_user_id: to, ...body });
  }

  private sendKey(peer: VoiceState): void {
    if (!this.encryption || !peer.public_key) return;
    this.signal(peer.user_id, { type: 'media_key', key: this.encryption.keyFor(peer.user_id, peer.public_key) });
  }

  private remoteTrack(userId: Snowflake, slot: MediaSlot, track: MediaStreamTrack): void {
    if (slot === 'audio') {
      this.audio.play(userId, track, this.settings.userVolumes[userId] ?? 100);
      this.detectors.set(userId, new SpeakingDetector());
      return;
    }
    this.emit('video', { userId, slot, stream: new MediaStream([track]) });
  }

  private async sendSlot(slot: MediaSlot, track: MediaStreamTrack | null, shareEncoding?: RTCRtpEncodingParameters | null): Promise<void> {
    await Promise.all([...[...this.links.values()].map((link) => link.setTrack(slot, track, shareEncoding)), this.sfu?.setTrack(slot, track, shareEncoding)]);
  }

  /** Starts or stops our outgoing audio as mute, deafen and push-to-talk say (`force`: the microphone track changed). */
  private async updateTransmitting(force = false): Promise<void> {
    const next =
      this.state !== 'ended' &&
      this.media.microphone !== null &&
      !this.serverMute &&
      !this.serverDeaf &&
      transmits({ selfMute: this.selfMute, selfDeaf: this.selfDeaf, inputMode: this.settings.inputMode, keyHeld: this.pushToTalk.held });
    if (next === this.transmittingNow && !force) return;
    this.transmittingNow = next;
    // Nothing is sent at all while not transmitting (not even silence), so no one can be heard by mistake.
    await this.sendSlot('audio', next ? this.media.microphone : null);
    this.emit('transmitting', next);
  }

  private reportEncryption(): void {
    const me = { userId: this.transport.me, publicKey: this.encryption?.publicKey ?? null };
    const everyone = [me, ...[...this.peers.values()].map((s) => ({ userId: s.user_id, publicKey: s.public_key }))];
    const keyed = everyone.filter((p): p is { userId: Snowflake; publicKey: string } => p.publicKey !== null);
    const encrypted = this.encryption !== null && keyed.length === everyone.length;
    this.emit('encryption', { encrypted, code: encrypted ? this.encryption!.verificationCode(keyed) : null });
  }

  private pollSpeaking(): void {
    const now = performance.now();
    for (const [key, level] of this.audio.levels()) {
      const userId = key === 'me' ? this.transport.me : (key as Snowflake);
      let detector = this.detectors.get(userId);
      if (!detector) this.detectors.set(userId, (detector = new SpeakingDetector()));
      // Our ring shows what others hear: nothing while we do not transmit.
      const speaking = detector.update(key === 'me' && !this.transmittingNow ? 0 : level, now);
      if (speaking === this.speaking.has(userId)) continue;
      if (speaking) this.speaking.add(userId);
      else this.speaking.delete(userId);
      this.emit('speaking', { userId, speaking });
    }
  }

  private async pollQuality(): Promise<void> {
    for (const [userId, link] of this.links) {
      const sample = sampleOf(await link.pc.getStats());
      const quality = qualityBetween(this.samples.get(userId) ?? null, sample);
      this.samples.set(userId, sample);
      if (this.links.get(userId) === link) this.emit('link', { userId, state: link.pc.connectionState, quality });
    }
  }

  /** A new network (Wi-Fi to cable, a VPN) invalidates the paths in use: restart ICE on every link. */
  private watchNetwork(): void {
    const restart = () => {
      for (const link of this.links.values()) link.restartIce(true);
      this.sfu?.restartIce();
    };
    window.addEventListener('online', restart);
    this.cleanups.push(() => window.removeEventListener('online', restart));
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    connection?.addEventListener('change', restart);
    this.cleanups.push(() => connection?.removeEventListener('change', restart));
  }

  private end(reason: CallEndReason, message: string | null): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.joinTimer) clearTimeout(this.joinTimer);
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const userId of [...this.links.keys()]) this.dropLink(userId);
    this.closeSfu();
    this.pushToTalk.close();
    this.media.stopAll();
    this.audio.close();
    this.encryption?.close();
    this.emit('ended', { reason, message });
  }
}

function streamOf(track: MediaStreamTrack | null): MediaStream | null {
  return track ? new MediaStream([track]) : null;
}

function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === 'NotAllowedError') return 'permission was denied';
  if (error instanceof DOMException && error.name === 'NotFoundError') return 'no such device';
  if (error instanceof DOMException && error.name === 'NotReadableError') return 'the device is in use';
  return error instanceof Error ? error.message : String(error);
}
