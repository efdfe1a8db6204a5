import { z } from 'zod';
import { FileSignal } from './file-transfer';
import { SfuSignal, SfuSignalSend } from './sfu';
import { CallCreate, Call, RtcSignal, RtcSignalSend, VoiceDisconnected, VoiceError, VoiceState, VoiceStateUpdate } from './calls';
import { Emoji } from './emojis';
import { E2eeDevicesUpdate, E2eeRosterUpdate, HistoryRequest, HistoryRequestDone, MlsCommit, MlsWelcome } from './e2ee';
import { Channel } from './channels';
import { Guild, GuildCreate, Member, Role } from './guilds';
import { Snowflake } from './ids';
import { Limits } from './limits';
import { Message, ReactionEmoji } from './messages';
import { UserGuildSettings } from './notifications';
import { Presence, PresenceStatus } from './presence';
import { OwnReport, Report } from './reports';
import { SafetyBlock } from './safety-policy';
import { PrivateUser, User } from './users';

/** The gateway speaks Discord's v10 protocol: these opcodes, close codes and intents. */
export const GATEWAY_VERSION = 10;

export const GatewayOpcode = {
  DISPATCH: 0,
  HEARTBEAT: 1,
  IDENTIFY: 2,
  PRESENCE_UPDATE: 3,
  VOICE_STATE_UPDATE: 4,
  RESUME: 6,
  RECONNECT: 7,
  REQUEST_GUILD_MEMBERS: 8,
  INVALID_SESSION: 9,
  HELLO: 10,
  HEARTBEAT_ACK: 11,
  /**
   * Parley (Discord's op 14, the member list's lazy request, simplified): which presences of a
   * large server this session follows: the first online members and members by ID (docs/gateway.md).
   */
  GUILD_SUBSCRIBE: 14,
  /** Parley: WebRTC signaling for another participant of your call (docs/calls.md). */
  RTC_SIGNAL: 40,
  /** Parley: what a participant of a call that runs through the SFU asks of it (docs/calls.md). */
  SFU_SIGNAL: 41,
} as const;

/** Why the server closed the socket. docs/gateway.md says what a client should do for each. */
export const GatewayCloseCode = {
  /** Something went wrong (also: a slow consumer fell too far behind). Resume. */
  UNKNOWN_ERROR: 4000,
  UNKNOWN_OPCODE: 4001,
  /** The frame was not valid JSON or did not match its schema. */
  DECODE_ERROR: 4002,
  NOT_AUTHENTICATED: 4003,
  AUTHENTICATION_FAILED: 4004,
  ALREADY_AUTHENTICATED: 4005,
  INVALID_SEQ: 4007,
  RATE_LIMITED: 4008,
  SESSION_TIMED_OUT: 4009,
  INVALID_API_VERSION: 4012,
  INVALID_INTENTS: 4013,
} as const;

export const Intents = {
  GUILDS: 1 << 0,
  GUILD_MEMBERS: 1 << 1,
  GUILD_MODERATION: 1 << 2,
  GUILD_INVITES: 1 << 6,
  GUILD_VOICE_STATES: 1 << 7,
  GUILD_PRESENCES: 1 << 8,
  GUILD_MESSAGES: 1 << 9,
  GUILD_MESSAGE_REACTIONS: 1 << 10,
  GUILD_MESSAGE_TYPING: 1 << 11,
  DIRECT_MESSAGES: 1 << 12,
  DIRECT_MESSAGE_REACTIONS: 1 << 13,
  DIRECT_MESSAGE_TYPING: 1 << 14,
  MESSAGE_CONTENT: 1 << 15,
} as const;
/** Every intent Discord defines fits below this; anything above is refused (4013). */
export const INTENTS_MAX = (1 << 26) - 1;
export const ALL_INTENTS = Object.values(Intents).reduce((all, bit) => all | bit, 0);

// ---- Frames the client sends. Each is validated before use; the union is exhaustive. ----

const Properties = z.record(z.string().max(64), z.string().max(256)).refine((p) => Object.keys(p).length <= 16, 'Too many properties');

export const UpdatePresence = z.object({
  since: z.number().int().nullable().optional(),
  activities: z.array(z.unknown()).max(5).optional(),
  status: z.union([PresenceStatus, z.literal('offline')]),
  afk: z.boolean().optional(),
});

/**
 * Op 14: the presences of a large server (more members than IDENTIFY's large_threshold) this
 * session follows, replacing what it followed there before; nothing (both absent or empty) stops.
 */
export const GuildSubscribe = z.object({
  guild_id: Snowflake,
  /** Follow this many online members (the first of the online list, which fills as people come online). */
  online: z.number().int().min(0).max(Limits.presenceOnlineMax).optional(),
  /** Follow these members, online or not (the rows on screen, a profile card). */
  members: z.array(Snowflake).max(Limits.presenceMembersMax).optional(),
});
export type GuildSubscribe = z.infer<typeof GuildSubscribe>;

export const InboundFrame = z.discriminatedUnion('op', [
  z.object({ op: z.literal(GatewayOpcode.HEARTBEAT), d: z.number().int().min(0).nullable() }),
  z.object({
    op: z.literal(GatewayOpcode.IDENTIFY),
    d: z.object({
      token: z.string().min(1).max(256),
      properties: Properties.optional(),
      intents: z.number().int().min(0).optional(),
      compress: z.boolean().optional(),
      large_threshold: z.number().int().min(50).max(250).optional(),
      shard: z.tuple([z.number().int().min(0), z.number().int().min(1)]).optional(),
      presence: UpdatePresence.optional(),
    }),
  }),
  z.object({ op: z.literal(GatewayOpcode.PRESENCE_UPDATE), d: UpdatePresence }),
  z.object({ op: z.literal(GatewayOpcode.GUILD_SUBSCRIBE), d: GuildSubscribe }),
  z.object({ op: z.literal(GatewayOpcode.VOICE_STATE_UPDATE), d: VoiceStateUpdate }),
  z.object({ op: z.literal(GatewayOpcode.RTC_SIGNAL), d: RtcSignalSend }),
  z.object({ op: z.literal(GatewayOpcode.SFU_SIGNAL), d: SfuSignalSend }),
  z.object({
    op: z.literal(GatewayOpcode.RESUME),
    d: z.object({ token: z.string().min(1).max(256), session_id: z.string().min(1).max(64), seq: z.number().int().min(0) }),
  }),
  z.object({
    op: z.literal(GatewayOpcode.REQUEST_GUILD_MEMBERS),
    d: z.object({
      guild_id: Snowflake,
      query: z.string().max(100).optional(),
      limit: z.number().int().min(0).max(1000),
      presences: z.boolean().optional(),
      user_ids: z.union([Snowflake, z.array(Snowflake).max(100)]).optional(),
      nonce: z.string().max(32).optional(),
    }),
  }),
]);
export type InboundFrame = z.infer<typeof InboundFrame>;

// ---- Events the server dispatches (op 0), by name. ----

export const ReadState = z.object({
  /** The channel (or DM) this is about. */
  id: Snowflake,
  last_message_id: Snowflake.nullable(),
  /** Messages after the last-read one (counted up to 1000). */
  unread_count: z.number().int(),
  /** Of those, how many mention you (directly or with @everyone/@here). */
  mention_count: z.number().int(),
});
export type ReadState = z.infer<typeof ReadState>;

export const Ready = z.object({
  v: z.number().int(),
  user: PrivateUser,
  /** Bots: `{id, unavailable: true}` each, then a GUILD_CREATE per guild. People: full guilds. */
  guilds: z.array(z.union([GuildCreate, z.object({ id: Snowflake, unavailable: z.literal(true) })])),
  private_channels: z.array(Channel),
  read_states: z.array(ReadState),
  /**
   * Who is online among the people you talk to in DMs outside any shared server (accepted DMs
   * and group DMs; server members' presences come with each guild). Absent from older servers.
   */
  presences: z.array(Presence).optional(),
  /** The users you have blocked. */
  blocked_user_ids: z.array(Snowflake),
  /**
   * People only: your notification settings for each server where you changed them (servers
   * not listed use their default, `default_message_notifications`, with no channel overrides).
   */
  user_guild_settings: z.object({ entries: z.array(UserGuildSettings), partial: z.boolean() }).optional(),
  session_id: z.string(),
  resume_gateway_url: z.string(),
  shard: z.tuple([z.number().int(), z.number().int()]).optional(),
  application: z.object({ id: Snowflake, flags: z.number().int() }).optional(),
});
export type Ready = z.infer<typeof Ready>;

const GuildMemberEvent = Member.extend({ guild_id: Snowflake });
const ReactionEvent = z.object({
  user_id: Snowflake,
  channel_id: Snowflake,
  message_id: Snowflake,
  guild_id: Snowflake.optional(),
  member: Member.optional(),
  emoji: ReactionEmoji,
  message_author_id: Snowflake.optional(),
  burst: z.boolean(),
  type: z.number().int(),
});

/** Every dispatch event: its name and the shape of `d`. */
export const DispatchEvents = {
  READY: Ready,
  RESUMED: z.null(),
  GUILD_CREATE: GuildCreate,
  GUILD_UPDATE: Guild,
  GUILD_DELETE: z.object({ id: Snowflake, unavailable: z.boolean().optional() }),
  GUILD_ROLE_CREATE: z.object({ guild_id: Snowflake, role: Role }),
  GUILD_ROLE_UPDATE: z.object({ guild_id: Snowflake, role: Role }),
  GUILD_ROLE_DELETE: z.object({ guild_id: Snowflake, role_id: Snowflake }),
  /** A server's custom emoji changed: all of them, as now. */
  GUILD_EMOJIS_UPDATE: z.object({ guild_id: Snowflake, emojis: z.array(Emoji) }),
  /** To those who may ban (Ban Members), as in Discord. */
  GUILD_BAN_ADD: z.object({ guild_id: Snowflake, user: User }),
  GUILD_BAN_REMOVE: z.object({ guild_id: Snowflake, user: User }),
  GUILD_MEMBER_ADD: GuildMemberEvent,
  GUILD_MEMBER_UPDATE: GuildMemberEvent,
  GUILD_MEMBER_REMOVE: z.object({ guild_id: Snowflake, user: User }),
  GUILD_MEMBERS_CHUNK: z.object({
    guild_id: Snowflake,
    members: z.array(Member),
    chunk_index: z.number().int(),
    chunk_count: z.number().int(),
    not_found: z.array(Snowflake).optional(),
    presences: z.array(Presence).optional(),
    nonce: z.string().optional(),
  }),
  CHANNEL_CREATE: Channel,
  CHANNEL_UPDATE: Channel,
  CHANNEL_DELETE: Channel,
  CHANNEL_PINS_UPDATE: z.object({ guild_id: Snowflake.optional(), channel_id: Snowflake, last_pin_timestamp: z.iso.datetime().nullable() }),
  /** Parley: someone joined or left a private channel (sent to its members and to them). */
  CHANNEL_MEMBER_ADD: z.object({ guild_id: Snowflake.optional(), channel_id: Snowflake, user: User }),
  CHANNEL_MEMBER_REMOVE: z.object({ guild_id: Snowflake.optional(), channel_id: Snowflake, user: User }),
  CHANNEL_RECIPIENT_ADD: z.object({ channel_id: Snowflake, user: User }),
  CHANNEL_RECIPIENT_REMOVE: z.object({ channel_id: Snowflake, user: User }),
  THREAD_CREATE: Channel.extend({ newly_created: z.boolean().optional() }),
  THREAD_UPDATE: Channel,
  THREAD_DELETE: z.object({ id: Snowflake, guild_id: Snowflake, parent_id: Snowflake, type: z.number().int() }),
  MESSAGE_CREATE: Message,
  MESSAGE_UPDATE: Message,
  MESSAGE_DELETE: z.object({ id: Snowflake, channel_id: Snowflake, guild_id: Snowflake.optional() }),
  MESSAGE_DELETE_BULK: z.object({ ids: z.array(Snowflake), channel_id: Snowflake, guild_id: Snowflake.optional() }),
  MESSAGE_REACTION_ADD: ReactionEvent,
  MESSAGE_REACTION_REMOVE: ReactionEvent.omit({ member: true, message_author_id: true }),
  MESSAGE_REACTION_REMOVE_ALL: z.object({ channel_id: Snowflake, message_id: Snowflake, guild_id: Snowflake.optional() }),
  /** Parley: your read position moved (from another of your devices). */
  MESSAGE_ACK: z.object({ channel_id: Snowflake, message_id: Snowflake }),
  TYPING_START: z.object({
    channel_id: Snowflake,
    guild_id: Snowflake.optional(),
    user_id: Snowflake,
    timestamp: z.number().int(),
    member: Member.optional(),
  }),
  PRESENCE_UPDATE: Presence,
  /**
   * Parley: presences a session follows in a large server (op 14). `snapshot`: the answer to op
   * 14, everyone followed as they are now (offline ones included); otherwise the changes since the
   * last one, latest state per member, at most one frame per server every 500 ms. `online_count`:
   * how many of the server's members are online.
   */
  GUILD_PRESENCES: z.object({
    guild_id: Snowflake,
    snapshot: z.boolean(),
    online_count: z.number().int(),
    /** Each member's ID and status only (a storm sends many of these). */
    presences: z.array(Presence.pick({ user: true, status: true })),
  }),
  USER_UPDATE: PrivateUser,
  /** Your notification settings for a server changed (sent to all your sessions). */
  USER_GUILD_SETTINGS_UPDATE: UserGuildSettings,
  /** Parley: a block was added or removed (sent to the blocker's sessions). */
  RELATIONSHIP_ADD: z.object({ id: Snowflake, type: z.number().int(), user: User }),
  RELATIONSHIP_REMOVE: z.object({ id: Snowflake, type: z.number().int() }),
  /** Someone joined, left, moved or changed flags in a call (sent to whoever can see the channel). */
  VOICE_STATE_UPDATE: VoiceState,
  /** A DM call started (after READY: one per call going on in your DMs). */
  CALL_CREATE: CallCreate,
  /** Who is being rung changed. */
  CALL_UPDATE: Call,
  /** The DM call ended. */
  CALL_DELETE: z.object({ channel_id: z.string() }),
  /** Parley: signaling from another participant, to your call session only. */
  RTC_SIGNAL: RtcSignal,
  /** Parley: the SFU's side of a big call (its media path, answers, offers, who publishes), to your call session only. */
  SFU_SIGNAL: SfuSignal,
  /** Parley: peer-to-peer file transfer signaling from another member of a channel (docs/file-transfer.md). */
  FILE_SIGNAL: FileSignal,
  /** Parley: your session was taken out of its call (you joined from elsewhere, lost access…). */
  VOICE_DISCONNECTED: VoiceDisconnected,
  /** Parley: a voice op (4) or signal (40) you sent was refused; to that session only. */
  VOICE_ERROR: VoiceError,
  /** Parley: an encrypted conversation's group moved to the next epoch (to everyone who reads it). */
  MLS_COMMIT: MlsCommit,
  /** Parley: one of your devices was added to an encrypted conversation (to your sessions; each device takes its own). */
  MLS_WELCOME: MlsWelcome,
  /** Parley: someone's encryption devices changed: conversations with them should add or remove leaves (MlsDevice.syncMembers). */
  E2EE_DEVICES_UPDATE: E2eeDevicesUpdate,
  /** Parley: who reads a channel of an encrypted server changed (to its readers, before and after). */
  E2EE_ROSTER_UPDATE: E2eeRosterUpdate,
  /** Parley: one of your devices asks your other devices for the keys of your encrypted history (to your sessions). */
  E2EE_HISTORY_REQUEST: HistoryRequest,
  /** Parley: a history request was approved, declined or withdrawn (to your sessions). */
  E2EE_HISTORY_REQUEST_DONE: HistoryRequestDone,
  /** Parley: a new report, to those who may review it (the server's moderators, instance admins). */
  REPORT_CREATE: Report,
  /** Parley: a report was acted on, to those who may review it. */
  REPORT_UPDATE: Report,
  /** Parley: your report was handled, to you alone: whether action was taken, never by whom or how. */
  OWN_REPORT_UPDATE: OwnReport,
  /** Parley (features/safety): the classifier blocked you from a person or room (to your sessions). */
  SAFETY_BLOCK_CREATE: SafetyBlock,
  /** Parley (features/safety): your block's appeal changed or was decided (lifted or upheld, with the admin's note). */
  SAFETY_BLOCK_UPDATE: SafetyBlock,
  /** Parley: sent per user when their send rate is exceeded on the gateway-visible actions. */
  RATE_LIMITED: z.object({ opcode: z.number().int(), retry_after: z.number(), meta: z.record(z.string(), z.unknown()) }),
} as const;

export type DispatchName = keyof typeof DispatchEvents;
export type DispatchPayload<T extends DispatchName> = z.infer<(typeof DispatchEvents)[T]>;

/** Every frame the server sends. */
export type OutboundFrame =
  | { op: typeof GatewayOpcode.DISPATCH; t: DispatchName; s: number; d: unknown }
  | { op: typeof GatewayOpcode.HELLO; d: { heartbeat_interval: number } }
  | { op: typeof GatewayOpcode.HEARTBEAT_ACK }
  | { op: typeof GatewayOpcode.HEARTBEAT; d: number | null }
  | { op: typeof GatewayOpcode.RECONNECT; d: null }
  | { op: typeof GatewayOpcode.INVALID_SESSION; d: boolean };
