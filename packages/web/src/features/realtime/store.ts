import { type DispatchName, GatewayCloseCode, type PresenceStatus, type RtcSignalSend, type SfuSignalSend, type Snowflake, type VoiceStateUpdate } from '@parley/protocol';
import { type CacheState, Emitter, GatewayClient, type GatewayEvents, type GatewayState, ParleyCache, PresenceFollower } from '@parley/sdk';
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';

/** Gateway events, relayed from whichever connection is current (it is replaced on sign-out/in). */
class Relay extends Emitter<GatewayEvents> {
  forward<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.emit(name, payload);
  }
}

const STATUS_KEY = 'parley.status';

/**
 * The live connection: one gateway session while signed in, and the reactive cache it keeps
 * current (servers, channels, members, DMs, presences, read states). Other stores listen to
 * gateway events through `on`, which survives reconnects and re-sign-ins.
 */
export const useRealtime = defineStore('realtime', () => {
  const relay = new Relay();
  const state = ref<GatewayState>('idle');
  const cache = shallowRef<CacheState | null>(null);
  const status = ref<PresenceStatus>((localStorage.getItem(STATUS_KEY) as PresenceStatus | null) ?? 'online');
  let gateway: GatewayClient | null = null;
  let follower: PresenceFollower | null = null;

  /** Opens the gateway for this token; resolves once READY arrived. */
  async function connect(token: string): Promise<void> {
    disconnect();
    const secure = location.protocol === 'https:';
    const client = new GatewayClient({ url: `${secure ? 'wss' : 'ws'}://${location.host}/gateway`, token, status: status.value });
    // Vue's reactive() returns the same shape; its unwrapped type differs only nominally.
    const parleyCache = new ParleyCache(client, { reactive: reactive as <T extends object>(state: T) => T });
    gateway = client;
    follower = new PresenceFollower(client);
    cache.value = parleyCache.state;
    client.on('state', (s) => (state.value = s));
    client.on('dispatch', ({ t, d }) => relay.forward(t, d as never));
    client.on('invalidated', () => relay.forward('invalidated', undefined));
    client.on('fatal', (reason) => relay.forward('fatal', reason));
    await client.connect();
  }

  /** The token was rotated (2FA turned on or off): later resumes use the new one. */
  function setToken(token: string): void {
    gateway?.setToken(token);
  }

  function disconnect(): void {
    gateway?.close();
    gateway = null;
    follower = null;
    cache.value = null;
    state.value = 'idle';
  }

  function setStatus(next: PresenceStatus): void {
    status.value = next;
    localStorage.setItem(STATUS_KEY, next);
    gateway?.updatePresence(next);
  }

  /** Asks for the members whose username starts with `query` (they arrive in the cache). */
  function requestMembers(guildId: Snowflake, query: string): void {
    gateway?.requestMembers(guildId, { query, limit: 25 });
  }

  /**
   * In a large server the gateway sends only the presences asked for: a member list on screen
   * follows its online list (and the rows in view) until the returned function is called (the
   * SDK's PresenceFollower).
   */
  function followPresences(guildId: Snowflake, rowsInView?: readonly Snowflake[]): () => void {
    return follower?.followMemberList(guildId, rowsInView) ?? (() => undefined);
  }

  /** Joins, changes or leaves a call (op 4); the answer comes as VOICE_STATE_UPDATE or VOICE_ERROR. */
  function updateVoiceState(d: VoiceStateUpdate): void {
    gateway?.updateVoiceState(d);
  }

  /** Signaling for another participant of our call (op 40). */
  function sendRtcSignal(d: RtcSignalSend): void {
    gateway?.sendRtcSignal(d);
  }

  /** A request to the SFU of our call (op 41). */
  function sendSfuSignal(d: SfuSignalSend): void {
    gateway?.sendSfuSignal(d);
  }

  /** This device's gateway session: the voice state with this ID is ours. */
  const sessionId = () => gateway?.sessionId ?? null;

  function on<K extends DispatchName | 'invalidated'>(name: K, listener: (payload: GatewayEvents[K]) => void): () => void {
    return relay.on(name, listener);
  }

  /**
   * This device's sign-in was revoked while connected (signed out from another device, password
   * changed or reset): the server closed the gateway with 4004 and every request now fails.
   */
  function onSignedOut(listener: () => void): () => void {
    return relay.on('fatal', ({ code }) => {
      if (code === GatewayCloseCode.AUTHENTICATION_FAILED) listener();
    });
  }

  /** Shown as a banner whenever the connection is not live. */
  const reconnecting = computed(() => state.value === 'reconnecting' || state.value === 'connecting');
  const me = computed(() => cache.value?.user ?? null);
  const presenceOf = (userId: Snowflake) => cache.value?.presences.get(userId) ?? 'offline';

  return {
    state,
    cache,
    status,
    me,
    reconnecting,
    connect,
    disconnect,
    setToken,
    setStatus,
    requestMembers,
    followPresences,
    updateVoiceState,
    sendRtcSignal,
    sendSfuSignal,
    sessionId,
    on,
    onSignedOut,
    presenceOf,
  };
});
