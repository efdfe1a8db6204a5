import { z } from 'zod';
import { Snowflake } from './ids';
import { defineRoute } from './route';

/**
 * Calls: a voice channel (or DM) holds at most one live call; each participant's device is a
 * gateway session with a voice state. Media flows peer to peer (a WebRTC mesh) and the server
 * only relays signaling between members of the same call (gateway op 40, RTC_SIGNAL), never
 * the media or its keys. docs/calls.md tells the whole story.
 */

/** A participant's X25519 public key (32 bytes, base64url without padding): peers encrypt their media keys to it. */
export const E2eePublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Must be a 32-byte key in base64url');

/** Discord's voice state, plus the participant's end-to-end encryption key. */
export const VoiceState = z.object({
  /** Absent for DM calls. */
  guild_id: Snowflake.optional(),
  /** null: the user left (the event that says so). */
  channel_id: Snowflake.nullable(),
  user_id: Snowflake,
  /** The gateway session (device) in the call: signaling for this user goes there. */
  session_id: z.string(),
  /**
   * Server deafen and mute, set by a moderator (Deafen/Mute Members) on the member, so they stay
   * across joins until lifted; false in DM calls. Everyone's client enforces them: nobody plays a
   * server-muted person's audio, and a server-deafened person's client neither plays nor sends.
   */
  deaf: z.boolean(),
  mute: z.boolean(),
  self_mute: z.boolean(),
  self_deaf: z.boolean(),
  self_video: z.boolean(),
  self_stream: z.boolean(),
  /** May not speak: no Speak permission here, or in the audience of a stage. Everyone treats it like a server mute. */
  suppress: z.boolean(),
  /** Stage channels: when this listener raised their hand (ISO 8601); null when it is down. */
  request_to_speak_timestamp: z.iso.datetime({ offset: true }).nullable(),
  /** Parley: null when the client did not offer end-to-end encryption. */
  public_key: E2eePublicKey.nullable(),
});
export type VoiceState = z.infer<typeof VoiceState>;

/**
 * Gateway op 4: join, move, leave (channel_id null) or change your flags in a call. A DM call
 * has guild_id null. Joining while in another call leaves it (your other device is told why).
 */
export const VoiceStateUpdate = z.object({
  guild_id: Snowflake.nullable(),
  channel_id: Snowflake.nullable(),
  self_mute: z.boolean(),
  self_deaf: z.boolean(),
  self_video: z.boolean().optional(),
  self_stream: z.boolean().optional(),
  public_key: E2eePublicKey.nullable().optional(),
});
export type VoiceStateUpdate = z.infer<typeof VoiceStateUpdate>;

/** Largest SDP accepted in a signal (an offer with audio, video and a screen share is ~10 KB). */
export const SDP_MAX_CHARS = 30_000;

export const IceCandidate = z.object({
  /** Empty string: end of candidates. */
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
export type IceCandidate = z.infer<typeof IceCandidate>;

/** What one participant tells another: an offer/answer, ICE candidates, or an encrypted media key. */
export const RtcSignalBody = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('description'),
    description: z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(SDP_MAX_CHARS) }),
  }),
  z.object({ type: z.literal('candidates'), candidates: z.array(IceCandidate).min(1).max(20) }),
  z.object({
    type: z.literal('media_key'),
    /**
     * The sender's media key for its frames, encrypted to the recipient (libsodium crypto_box:
     * 24-byte nonce then ciphertext, base64url). `key_id` tags frames encrypted with it.
     */
    key: z.object({ key_id: z.number().int().min(0).max(255), ciphertext: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/) }),
  }),
]);
export type RtcSignalBody = z.infer<typeof RtcSignalBody>;

/** Gateway op 40 (Parley): a signal for one other participant of the call you are in. */
export const RtcSignalSend = z.intersection(z.object({ channel_id: Snowflake, to_user_id: Snowflake }), RtcSignalBody);
export type RtcSignalSend = z.infer<typeof RtcSignalSend>;

/** The RTC_SIGNAL dispatch: a signal from another participant, delivered to your call session only. */
export const RtcSignal = z.intersection(z.object({ channel_id: Snowflake, from_user_id: Snowflake, from_session_id: z.string() }), RtcSignalBody);
export type RtcSignal = z.infer<typeof RtcSignal>;

/** A DM call (Discord's shape): who is ringing, and the system message that records it. */
export const Call = z.object({
  channel_id: Snowflake,
  message_id: Snowflake,
  /** Recipients being rung now (not yet joined, not declined, not timed out). */
  ringing: z.array(Snowflake),
  region: z.string(),
});
export type Call = z.infer<typeof Call>;
export const CallCreate = Call.extend({ voice_states: z.array(VoiceState) });
export type CallCreate = z.infer<typeof CallCreate>;

/**
 * Why your device was taken out of a call without asking. `moved`: a moderator moved you to
 * `to_channel_id` (your client joins it); `disconnected`: a moderator disconnected you.
 */
export const VoiceDisconnectReason = z.enum(['moved_to_other_device', 'moved_to_other_call', 'access_lost', 'timed_out', 'moved', 'disconnected']);
export type VoiceDisconnectReason = z.infer<typeof VoiceDisconnectReason>;
export const VoiceDisconnected = z.object({
  channel_id: Snowflake,
  guild_id: Snowflake.optional(),
  reason: VoiceDisconnectReason,
  /** With `moved`: the voice channel to join instead. */
  to_channel_id: Snowflake.optional(),
});
export type VoiceDisconnected = z.infer<typeof VoiceDisconnected>;

/** Why a voice op was refused, sent to the session that sent it. */
export const VoiceErrorCode = z.enum(['UNKNOWN_CHANNEL', 'NOT_A_CALL_CHANNEL', 'MISSING_PERMISSIONS', 'CALL_FULL', 'NOT_IN_CALL', 'BLOCKED']);
export type VoiceErrorCode = z.infer<typeof VoiceErrorCode>;
export const VoiceError = z.object({ channel_id: Snowflake.nullable(), code: VoiceErrorCode, message: z.string() });
export type VoiceError = z.infer<typeof VoiceError>;

/** A STUN or TURN server as RTCPeerConnection takes it. */
export const IceServer = z.object({ urls: z.array(z.string()), username: z.string().optional(), credential: z.string().optional() });
export type IceServer = z.infer<typeof IceServer>;

const ChannelParams = z.object({ channel_id: Snowflake });
const Recipients = z.object({ recipients: z.array(Snowflake).max(10).nullable().optional() });

export const callRoutes = {
  iceServers: defineRoute({
    method: 'GET',
    path: '/calls/ice-servers',
    summary: 'STUN and TURN servers for calls, with TURN credentials that expire (coturn REST-API scheme)',
    tag: 'Calls',
    auth: 'user',
    response: z.object({ ice_servers: z.array(IceServer), expires_at: z.iso.datetime() }),
  }),
  ring: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/call/ring',
    summary: 'Ring DM recipients (all who are not in the call, or those listed) to join its call',
    tag: 'Calls',
    auth: 'person',
    params: ChannelParams,
    body: Recipients,
    response: null,
  }),
  stopRinging: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/call/stop-ringing',
    summary: 'Stop ringing: decline a call (no recipients: yourself), or stop ringing those listed',
    tag: 'Calls',
    auth: 'person',
    params: ChannelParams,
    body: Recipients,
    response: null,
  }),
};
