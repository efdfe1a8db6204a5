import { Permissions, type Snowflake, type User, type VoiceState, routes } from '@parley/protocol';
import { ChannelType } from '@parley/protocol';
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowReactive, watch } from 'vue';
import { api } from '../../api';
import { usePeople } from '../chat/people';
import { usePermissions } from '../chat/permissions';
import { useRealtime } from '../realtime/store';
import type { CallSession, CallTransport } from './engine/CallSession';
import type { ShareQuality } from './engine/constraints';
import type { Quality } from './engine/quality';
import type { CallStats } from './engine/stats';
import { callMarks, markCall, startCallMarks } from './marks';
import { iceServers, loadCallEngine } from './prefetch';
import { voiceSettings } from './voiceSettings';

/** One person in the call, as the call view shows them. */
export interface Participant {
  userId: Snowflake;
  user: User | null;
  me: boolean;
  speaking: boolean;
  muted: boolean;
  deafened: boolean;
  /** A moderator server-muted / -deafened them (others do not play their audio). */
  serverMuted: boolean;
  serverDeafened: boolean;
  /** They may not speak in this channel (no Speak permission): nobody plays their audio either. */
  suppressed: boolean;
  /** Their camera and screen, while they have them on (ours too: our own preview). */
  video: MediaStream | null;
  screen: MediaStream | null;
  /** Connection to them (null for ourselves). */
  connection: RTCPeerConnectionState | null;
  quality: Quality;
  /** Playback volume in percent (0–200). */
  volume: number;
}

/** What a moderator may do to a participant in the call view (each with its permission). */
export interface TileModeration {
  mute: boolean;
  deafen: boolean;
  /** Move Members: the voice channels they can be moved to (and disconnecting them); null without it. */
  move: { id: Snowflake; name: string }[] | null;
}

/** A moderator's change to a participant (PATCH /guilds/:id/members/:user_id). */
export type ModerationBody = { mute?: boolean; deaf?: boolean; channel_id?: Snowflake | null };

/** What the engine reports about one person, kept apart from voice states (which the server owns). */
interface Live {
  speaking: boolean;
  connection: RTCPeerConnectionState | null;
  quality: Quality;
  video: MediaStream | null;
  screen: MediaStream | null;
}

/** A read-only window onto the call for tests and for debugging in the console (`parleyCall.stats()`). */
declare global {
  interface Window {
    parleyCall?: {
      stats(): Promise<CallStats | null>;
      phase(): string;
      levels(): Record<string, number>;
      /** The last join's milestones (marks.ts): name → performance.now() time. */
      marks(): Record<string, number>;
    };
  }
}

/**
 * The call you are in (at most one) and who is in every call you can see. Joining loads the
 * call engine on demand (it is not part of the chat screen's first load). Voice states come
 * from the realtime cache; the engine adds what only this device knows (speaking, streams,
 * connection quality).
 */
export const useCallStore = defineStore('call', () => {
  const realtime = useRealtime();
  const people = usePeople();
  const permissions = usePermissions();
  const current = ref<{ channelId: Snowflake; guildId: Snowflake | null } | null>(null);
  const phase = ref<'idle' | 'joining' | 'joined'>('idle');
  /** The last thing that went wrong or that the person should know (a refusal, being moved out). */
  const error = ref<string | null>(null);
  const encrypted = ref(false);
  const verificationCode = ref<string | null>(null);
  /** Mute and deafen carry over from call to call, as in Discord. */
  const selfMute = ref(false);
  const selfDeaf = ref(false);
  const videoOn = ref(false);
  const screenOn = ref(false);
  const transmitting = ref(false);
  const live = shallowReactive(new Map<Snowflake, Live>());
  let session: CallSession | null = null;
  let attempt = 0;

  /** Everyone in a channel's call, for the sidebar and the call view. */
  function voiceStates(channelId: Snowflake): VoiceState[] {
    return [...(realtime.cache?.voiceStates.values() ?? [])].filter((state) => state.channel_id === channelId);
  }

  const participants = computed<Participant[]>(() => {
    const call = current.value;
    const me = realtime.me?.id;
    if (!call) return [];
    return voiceStates(call.channelId).map((state) => {
      const info = live.get(state.user_id);
      const mine = state.user_id === me;
      return {
        userId: state.user_id,
        user: people.userById(state.user_id, call.guildId),
        me: mine,
        speaking: info?.speaking ?? false,
        muted: state.self_mute || state.mute || state.suppress,
        deafened: state.self_deaf || state.deaf,
        serverMuted: state.mute,
        serverDeafened: state.deaf,
        suppressed: state.suppress,
        video: state.self_video ? (info?.video ?? null) : null,
        screen: state.self_stream ? (info?.screen ?? null) : null,
        connection: mine ? null : (info?.connection ?? null),
        quality: info?.quality ?? 'unknown',
        volume: voiceSettings.userVolumes[state.user_id] ?? 100,
      };
    });
  });

  /** Our own server mute and deafen in the call we are in (a moderator set them). */
  const serverMute = computed(() => participants.value.some((p) => p.me && p.serverMuted));
  const serverDeaf = computed(() => participants.value.some((p) => p.me && p.serverDeafened));
  const suppressed = computed(() => participants.value.some((p) => p.me && p.suppressed));
  /** In a stage's audience (stage/): listening, no camera or screen, until invited to speak. */
  const inAudience = computed(() => suppressed.value && (current.value && realtime.cache?.channels.get(current.value.channelId))?.type === ChannelType.GUILD_STAGE_VOICE);
  /**
   * Why our microphone is off whatever we do, if it is: a moderator's deafen or mute, or no
   * permission to speak in this channel. Null when unmuting is ours to decide.
   */
  const micLock = computed(() => {
    if (serverDeaf.value) return { short: 'Server deafened', long: 'Server deafened: a moderator deafened you in this server. Only a moderator can undo it.' };
    if (serverMute.value) return { short: 'Server muted', long: 'Server muted: a moderator muted you in this server. Only a moderator can undo it.' };
    if (inAudience.value) return { short: 'In the audience', long: 'You are in the audience of this stage: raise your hand to ask to speak.' };
    if (suppressed.value) return { short: 'No permission to speak', long: 'You do not have permission to speak in this channel. You can listen.' };
    return null;
  });
  /** Whether this channel lets us use the camera and share the screen (Video). */
  const mayVideo = computed(() => {
    if (inAudience.value) return false;
    const channel = current.value && realtime.cache?.channels.get(current.value.channelId);
    return !channel || permissions.can(permissions.inChannel(channel), Permissions.STREAM);
  });
  // Video taken away mid-call (a role or overwrite changed): the server already shows it off to
  // everyone; stop sending it too.
  watch(mayVideo, (may) => {
    if (may) return;
    if (videoOn.value) void toggleVideo();
    if (screenOn.value) void stopScreenShare();
  });

  function update(userId: Snowflake, change: Partial<Live>): void {
    const before = live.get(userId) ?? { speaking: false, connection: null, quality: 'unknown', video: null, screen: null };
    live.set(userId, { ...before, ...change });
  }

  const transport: CallTransport = {
    get me() {
      return realtime.me!.id;
    },
    sessionId: () => realtime.sessionId(),
    voiceStatesIn: voiceStates,
    updateVoiceState: (d) => realtime.updateVoiceState(d),
    sendRtcSignal: (d) => {
      if (d.type === 'description' && d.description.type === 'offer') markCall('first-offer');
      realtime.sendRtcSignal(d);
    },
    sendSfuSignal: (d) => realtime.sendSfuSignal(d),
    iceServers,
  };

  /**
   * Joins a voice channel (guildId) or a DM call (guildId null), leaving any other call first;
   * `video` joins with the camera on (a video call).
   */
  async function join(channelId: Snowflake, guildId: Snowflake | null, options: { video?: boolean } = {}): Promise<void> {
    if (current.value?.channelId === channelId) return;
    startCallMarks();
    session?.leave();
    const mine = ++attempt;
    current.value = { channelId, guildId };
    phase.value = 'joining';
    error.value = null;
    // Usually loaded already (prefetch.ts); otherwise this is the first wait of the join.
    let engine: Awaited<ReturnType<typeof loadCallEngine>>;
    try {
      engine = await loadCallEngine();
    } catch {
      // Offline, or a new version replaced the old files: not "Connecting…" forever.
      if (mine !== attempt) return;
      current.value = null;
      phase.value = 'idle';
      error.value = 'Could not load the call. Check your connection and try again.';
      return;
    }
    const { CallSession } = engine;
    markCall('engine');
    if (mine !== attempt) return;
    const next = new CallSession({ channelId, guildId, transport, settings: voiceSettings, selfMute: selfMute.value, selfDeaf: selfDeaf.value, video: options.video });
    session = next;
    wire(next);
    await next.start();
    // A microphone that would not open leaves us muted.
    selfMute.value = next.selfMute;
  }

  function leave(): void {
    attempt++;
    session?.leave();
  }

  function wire(next: CallSession): void {
    const mine = () => session === next;
    next.on('joined', () => {
      if (!mine()) return;
      markCall('joined');
      phase.value = 'joined';
    });
    next.on('transmitting', (on) => mine() && (transmitting.value = on));
    next.on('speaking', ({ userId, speaking }) => mine() && update(userId, { speaking }));
    next.on('link', ({ userId, state, quality }) => mine() && update(userId, { connection: state, ...(quality !== 'unknown' && { quality }) }));
    next.on('video', ({ userId, slot, stream }) => {
      if (!mine()) return;
      update(userId, { [slot === 'camera' ? 'video' : 'screen']: stream && markRaw(stream) });
      // Our own camera or share went on or off (a share also ends from the browser's own bar).
      if (userId === transport.me) (slot === 'camera' ? videoOn : screenOn).value = stream !== null;
    });
    next.on('encryption', (state) => {
      if (!mine()) return;
      encrypted.value = state.encrypted;
      verificationCode.value = state.code;
    });
    next.on('notice', (message) => mine() && (error.value = message));
    next.on('ended', ({ message }) => {
      if (!mine()) return;
      session = null;
      current.value = null;
      phase.value = 'idle';
      videoOn.value = screenOn.value = transmitting.value = encrypted.value = false;
      verificationCode.value = null;
      live.clear();
      if (message) error.value = message;
    });
  }

  realtime.on('VOICE_STATE_UPDATE', (state) => session?.onVoiceState(state));
  realtime.on('RTC_SIGNAL', (signal) => session?.onSignal(signal));
  realtime.on('SFU_SIGNAL', (signal) => session?.onSfuSignal(signal));
  realtime.on('VOICE_ERROR', (refusal) => {
    if (session) session.onVoiceError(refusal);
    else error.value = refusal.message;
  });
  realtime.on('VOICE_DISCONNECTED', ({ channel_id, guild_id, reason, to_channel_id }) => {
    if (session?.channelId !== channel_id) return;
    session.onDisconnected(reason);
    // Moved by a moderator: this device joins the destination at once, as if it had been clicked.
    if (reason === 'moved' && to_channel_id && guild_id) void join(to_channel_id, guild_id);
  });
  // A READY means a new gateway session (a resume answers RESUMED): the call must be joined again as it.
  realtime.on('READY', () => session?.rejoin());

  function toggleMute(): void {
    selfMute.value = !selfMute.value;
    // Unmuting while deafened undeafens too (the engine does the same).
    if (!selfMute.value) selfDeaf.value = false;
    session?.setMuted(selfMute.value);
  }

  function toggleDeafen(): void {
    selfDeaf.value = !selfDeaf.value;
    session?.setDeafened(selfDeaf.value);
  }

  async function toggleVideo(): Promise<void> {
    await session?.setVideo(!videoOn.value);
  }

  async function startScreenShare(quality: ShareQuality = { resolution: voiceSettings.shareResolution, frameRate: voiceSettings.shareFrameRate }): Promise<void> {
    if (!session) return;
    await session.startScreenShare(quality);
  }

  async function stopScreenShare(): Promise<void> {
    await session?.stopScreenShare();
  }

  /**
   * Moderation (PATCH /guilds/:id/members/:user_id): server mute or deafen a participant, move
   * them to another voice channel, or disconnect them (channelId null). The server checks the
   * permission; a refusal shows as the call's error.
   */
  async function moderate(userId: Snowflake, body: ModerationBody): Promise<void> {
    const guildId = current.value?.guildId;
    if (!guildId) return;
    try {
      await api.request(routes.moderation.updateMember, { params: { guild_id: guildId, user_id: userId }, body });
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  /** A person's playback volume (0–200 %), remembered for next time. */
  function setVolume(userId: Snowflake, percent: number): void {
    const value = Math.min(200, Math.max(0, Math.round(percent)));
    voiceSettings.userVolumes = { ...voiceSettings.userVolumes, [userId]: value };
    session?.setVolume(userId, value);
  }

  /** How wide someone's camera tile is on screen (device pixels, 0 when not): a big call receives the layer that fills it. */
  function setShownWidth(userId: Snowflake, width: number): void {
    session?.setShownWidth(userId, width);
  }

  // Devices chosen in settings during a call take effect at once.
  watch(
    () => [voiceSettings.inputDeviceId, voiceSettings.echoCancellation, voiceSettings.noiseSuppression, voiceSettings.autoGainControl],
    () => void session?.reopenMicrophone(),
  );
  watch(
    () => voiceSettings.videoDeviceId,
    () => void session?.reopenCamera(),
  );
  watch(
    () => voiceSettings.inputMode,
    () => session?.inputModeChanged(),
  );
  watch(
    () => voiceSettings.receiveVideo,
    () => session?.receiveVideoChanged(),
  );
  watch(
    () => voiceSettings.outputDeviceId,
    (id) => void session?.setSpeaker(id),
  );
  // Signing out ends the call.
  watch(
    () => realtime.me,
    (me) => !me && leave(),
  );

  window.parleyCall = { stats: async () => (session ? session.stats() : null), phase: () => phase.value, levels: () => session?.levels() ?? {}, marks: callMarks };

  return {
    current,
    phase,
    error,
    encrypted,
    verificationCode,
    selfMute,
    selfDeaf,
    videoOn,
    screenOn,
    transmitting,
    serverMute,
    serverDeaf,
    micLock,
    mayVideo,
    participants,
    voiceStates,
    join,
    leave,
    toggleMute,
    toggleDeafen,
    toggleVideo,
    startScreenShare,
    stopScreenShare,
    setVolume,
    setShownWidth,
    moderate,
  };
});
