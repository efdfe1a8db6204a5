import { ChannelType } from './channels';
import type { Snowflake } from './ids';
import { OverwriteType } from './overwrites';

/**
 * Permission bits, with Discord's values so bot libraries and OAuth2 invite links mean the same
 * thing here. Sent as decimal strings (they exceed 32 bits). How roles and channel overwrites
 * combine them is below (permissionsInChannel).
 */
export const Permissions = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_AUDIT_LOG: 1n << 7n,
  STREAM: 1n << 9n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  MUTE_MEMBERS: 1n << 22n,
  DEAFEN_MEMBERS: 1n << 23n,
  MOVE_MEMBERS: 1n << 24n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_WEBHOOKS: 1n << 29n,
  MANAGE_GUILD_EXPRESSIONS: 1n << 30n,
  /** Stage channels: raise your hand (request_to_speak_timestamp) to ask to speak. */
  REQUEST_TO_SPEAK: 1n << 32n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
  MODERATE_MEMBERS: 1n << 40n,
  PIN_MESSAGES: 1n << 51n,
} as const;

export type PermissionName = keyof typeof Permissions;

export const ALL_PERMISSIONS: bigint = Object.values(Permissions).reduce((all, bit) => all | bit, 0n);

/** What @everyone may do in a new server: talk, react, share, call (and raise a hand on a stage), invite. */
export const DEFAULT_EVERYONE_PERMISSIONS: bigint =
  Permissions.CREATE_INSTANT_INVITE |
  Permissions.ADD_REACTIONS |
  Permissions.STREAM |
  Permissions.VIEW_CHANNEL |
  Permissions.SEND_MESSAGES |
  Permissions.EMBED_LINKS |
  Permissions.ATTACH_FILES |
  Permissions.READ_MESSAGE_HISTORY |
  Permissions.CONNECT |
  Permissions.SPEAK |
  Permissions.REQUEST_TO_SPEAK |
  Permissions.CHANGE_NICKNAME |
  Permissions.CREATE_PUBLIC_THREADS |
  Permissions.SEND_MESSAGES_IN_THREADS;

export function hasPermission(permissions: bigint, permission: bigint): boolean {
  if ((permissions & Permissions.ADMINISTRATOR) === Permissions.ADMINISTRATOR) return true;
  return (permissions & permission) === permission;
}

/*
 * Permissions are computed here and nowhere else: pure functions of the guild's owner, the
 * roles a member holds, the channel's overwrites and Parley's private-channel membership.
 * Every server route and gateway check goes through them, and clients use the same functions
 * to decide what to offer.
 *
 * The algorithm is Discord's, as documented in "Permissions" (discord.com/developers/docs/
 * topics/permissions, sections "Permission Overwrites", "Implicit Permissions", "Inherited
 * Permissions (Threads)" and "Permissions For Timed Out Members"), in this order:
 *   1. computeBasePermissions: owner → everything; else @everyone's bits OR each of the
 *      member's roles' bits; ADMINISTRATOR → everything.
 *   2. computeOverwrites: ADMINISTRATOR → everything; else the @everyone overwrite (deny, then
 *      allow), then the member's role overwrites together (every deny, then every allow), then
 *      the member's own overwrite (deny, then allow).
 *   3. applyImplicitPermissions: no VIEW_CHANNEL → nothing; a text channel without its send
 *      permission loses what only makes sense when sending.
 *   4. applyTimeout: a timed-out member keeps VIEW_CHANNEL and READ_MESSAGE_HISTORY only.
 *   5. applyPrivateChannel (Parley's own, last): see there.
 * permissionsInChannel runs all five; it is the one entry point for a guild channel or thread.
 */

/** Permission bits with ADMINISTRATOR stand for all of them (Discord: "implicitly has all permissions"). */
function withAdministrator(permissions: bigint): bigint {
  return (permissions & Permissions.ADMINISTRATOR) === Permissions.ADMINISTRATOR ? ALL_PERMISSIONS : permissions;
}

export interface MemberPermissionContext {
  ownerId: Snowflake;
  userId: Snowflake;
  /** @everyone plus the member's own roles. */
  roles: readonly { permissions: string }[];
}

/**
 * A member's permissions across the guild: the owner and administrators hold everything.
 * Kept for callers that already hold exactly @everyone and the member's roles; it gives the
 * same result as computeBasePermissions for those roles.
 */
export function guildPermissions(ctx: MemberPermissionContext): bigint {
  if (ctx.userId === ctx.ownerId) return ALL_PERMISSIONS;
  let permissions = 0n;
  for (const role of ctx.roles) permissions |= BigInt(role.permissions);
  return withAdministrator(permissions);
}

/** Who is asking, in which guild: what every step needs to know about the member. */
export interface PermissionMember {
  guildId: Snowflake;
  userId: Snowflake;
  /**
   * The member's role ids, as in Discord's member object (`roles`): @everyone is not among
   * them, and is ignored if it is (it is applied once, as @everyone).
   */
  memberRoleIds: readonly Snowflake[];
}

export interface BasePermissionInput extends PermissionMember {
  ownerId: Snowflake;
  /** The guild's roles: all of them, or just @everyone (id = guildId) and the member's. Others are ignored. */
  roles: readonly { id: Snowflake; permissions: string }[];
  /**
   * The guild requires 2FA for moderation (mfa_level 1) and this member has none
   * (lacksRequiredTwoFactor): the MFA_REQUIRED_PERMISSIONS are withheld. Left out: not withheld.
   */
  twoFactorMissing?: boolean;
}

/**
 * Discord's "MFA-required" permissions: what a member cannot use in a server that requires
 * two-factor authentication for moderation (guild mfa_level 1) until they turn 2FA on.
 */
export const MFA_REQUIRED_PERMISSIONS: bigint =
  Permissions.KICK_MEMBERS |
  Permissions.BAN_MEMBERS |
  Permissions.ADMINISTRATOR |
  Permissions.MANAGE_CHANNELS |
  Permissions.MANAGE_GUILD |
  Permissions.MANAGE_MESSAGES |
  Permissions.MANAGE_ROLES |
  Permissions.MANAGE_WEBHOOKS |
  Permissions.MANAGE_GUILD_EXPRESSIONS |
  Permissions.MANAGE_THREADS |
  Permissions.MODERATE_MEMBERS;

/** Discord's guild mfa_level: NONE, or ELEVATED (moderators need 2FA). */
export const MfaLevel = { NONE: 0, ELEVATED: 1 } as const;

/** Whether a member's MFA-required permissions are withheld: the guild requires 2FA and they have none. */
export function lacksRequiredTwoFactor(guildMfaLevel: number, userMfaEnabled: boolean): boolean {
  return guildMfaLevel === MfaLevel.ELEVATED && !userMfaEnabled;
}

/**
 * Step 1, Discord's compute_base_permissions: a member's permissions across the guild. The 2FA
 * requirement applies before ADMINISTRATOR expands to everything, and to the owner too (as in
 * Discord), so without 2FA an administrator keeps only their roles' other permissions.
 */
export function computeBasePermissions(input: BasePermissionInput): bigint {
  const withheld = input.twoFactorMissing ? MFA_REQUIRED_PERMISSIONS : 0n;
  if (input.userId === input.ownerId) return ALL_PERMISSIONS & ~withheld;
  const held = new Set<string>(input.memberRoleIds);
  let permissions = 0n;
  for (const role of input.roles) {
    if (role.id === input.guildId || held.has(role.id)) permissions |= BigInt(role.permissions);
  }
  return withAdministrator(permissions & ~withheld);
}

/**
 * An overwrite as stored or sent: PermissionOverwrite, or a database row with the same
 * fields (its `type` a plain number; anything but 0 and 1 matches nobody).
 */
export interface OverwriteLike {
  id: string;
  type: number;
  allow: string;
  deny: string;
}

/**
 * Bits an overwrite may change. ADMINISTRATOR is a guild-level permission: Discord does not
 * accept it in an overwrite, and here one that carries it is ignored rather than let it stand
 * for every permission in one channel.
 */
function overwriteBits(bits: string): bigint {
  return BigInt(bits) & ~Permissions.ADMINISTRATOR;
}

/**
 * Step 2, Discord's compute_overwrites, in exactly its documented order:
 * - ADMINISTRATOR in the base overrides every overwrite: everything;
 * - the @everyone overwrite (a role overwrite whose id is the guild's): deny, then allow;
 * - the overwrites of every role the member holds, combined: all their denies are removed,
 *   then all their allows added, so one role's allow beats another role's deny whatever the
 *   roles' positions (Discord: "permissions do not obey the role hierarchy");
 * - the member's own overwrite: deny, then allow; it beats everything before it.
 * Overwrites for roles the member does not hold, or for other members, change nothing.
 */
export function computeOverwrites(base: bigint, member: PermissionMember, overwrites: readonly OverwriteLike[]): bigint {
  if ((base & Permissions.ADMINISTRATOR) === Permissions.ADMINISTRATOR) return ALL_PERMISSIONS;
  let permissions = base;

  const everyone = overwrites.find((o) => o.type === OverwriteType.ROLE && o.id === member.guildId);
  if (everyone) {
    permissions &= ~overwriteBits(everyone.deny);
    permissions |= overwriteBits(everyone.allow);
  }

  const held = new Set<string>(member.memberRoleIds);
  held.delete(member.guildId);
  let allow = 0n;
  let deny = 0n;
  for (const overwrite of overwrites) {
    if (overwrite.type !== OverwriteType.ROLE || !held.has(overwrite.id)) continue;
    allow |= overwriteBits(overwrite.allow);
    deny |= overwriteBits(overwrite.deny);
  }
  permissions &= ~deny;
  permissions |= allow;

  const own = overwrites.find((o) => o.type === OverwriteType.MEMBER && o.id === member.userId);
  if (own) {
    permissions &= ~overwriteBits(own.deny);
    permissions |= overwriteBits(own.allow);
  }
  return permissions;
}

/**
 * What only makes sense when one may send: Discord's "Denying SEND_MESSAGES implicitly denies
 * MENTION_EVERYONE, SEND_TTS_MESSAGES, ATTACH_FILES, and EMBED_LINKS". Parley has no
 * SEND_TTS_MESSAGES bit (no text-to-speech), so it is not listed.
 */
const SENDING_PERMISSIONS = Permissions.MENTION_EVERYONE | Permissions.ATTACH_FILES | Permissions.EMBED_LINKS;

/**
 * The permission that is "sending" in a channel of this type, or null where Discord's
 * text-channel rule does not apply (voice channels, categories). In a thread it is
 * SEND_MESSAGES_IN_THREADS: Discord's "The SEND_MESSAGES permission is not inherited; users
 * must have SEND_MESSAGES_IN_THREADS to send a message in a thread".
 */
function sendPermissionFor(channelType: number): bigint | null {
  if (channelType === ChannelType.GUILD_TEXT) return Permissions.SEND_MESSAGES;
  if (channelType === ChannelType.PUBLIC_THREAD) return Permissions.SEND_MESSAGES_IN_THREADS;
  return null;
}

/**
 * Step 3, Discord's implicit permissions (section "Implicit Permissions"), applied to the
 * result of the overwrites:
 * - without VIEW_CHANNEL, nothing: "Denying a user or a role VIEW_CHANNEL on a channel
 *   implicitly denies other permissions on the channel" (Manage Channels included: a channel
 *   you cannot see is not yours to manage);
 * - in a text channel (or thread) without the send permission, SENDING_PERMISSIONS go too.
 * Not modelled: "For voice and stage channels, denying the CONNECT permission also implicitly
 * denies other permissions such as MANAGE_CHANNEL": the docs do not list which.
 */
export function applyImplicitPermissions(permissions: bigint, channelType: number): bigint {
  if ((permissions & Permissions.VIEW_CHANNEL) === 0n) return 0n;
  const send = sendPermissionFor(channelType);
  if (send !== null && (permissions & send) === 0n) return permissions & ~SENDING_PERMISSIONS;
  return permissions;
}

/** What a timed-out member keeps: Discord's "all permissions except VIEW_CHANNEL and READ_MESSAGE_HISTORY" are lost. */
export const TIMED_OUT_PERMISSIONS: bigint = Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY;

/** A time as the member object sends it (ISO 8601), a Date, or epoch milliseconds. */
export type Instant = string | Date | number;

function epochMillis(instant: Instant): number {
  if (typeof instant === 'number') return instant;
  return typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
}

/**
 * Whether a timeout (`communication_disabled_until`) is in force at `now`: strictly in the
 * future. None, a past time or an unreadable one (schemas validate it before it is stored)
 * is no timeout.
 */
export function isTimedOut(communicationDisabledUntil: Instant | null | undefined, now: Instant): boolean {
  if (communicationDisabledUntil === null || communicationDisabledUntil === undefined) return false;
  return epochMillis(communicationDisabledUntil) > epochMillis(now);
}

/**
 * Step 4, Discord's "Permissions For Timed Out Members": "Timed out members will temporarily
 * lose all permissions except VIEW_CHANNEL and READ_MESSAGE_HISTORY. Owners and admin users
 * with ADMINISTRATOR permissions are exempt." The owner's permissions are ALL, ADMINISTRATOR
 * included, so holding ADMINISTRATOR is the exemption. Works on guild-wide permissions too
 * (computeBasePermissions' result): a timed-out member cannot kick or invite either.
 */
export function applyTimeout(permissions: bigint, member: { communicationDisabledUntil?: Instant | null; now: Instant }): bigint {
  if ((permissions & Permissions.ADMINISTRATOR) === Permissions.ADMINISTRATOR) return permissions;
  return isTimedOut(member.communicationDisabledUntil, member.now) ? permissions & TIMED_OUT_PERMISSIONS : permissions;
}

/**
 * What may be done with a channel's contents; without these a private channel's non-member
 * still sees its name and, with Manage Channels, may rename or delete it.
 */
const CONTENT_PERMISSIONS =
  Permissions.VIEW_CHANNEL |
  Permissions.SEND_MESSAGES |
  Permissions.SEND_MESSAGES_IN_THREADS |
  Permissions.CREATE_PUBLIC_THREADS |
  Permissions.READ_MESSAGE_HISTORY |
  Permissions.ADD_REACTIONS |
  Permissions.ATTACH_FILES |
  Permissions.EMBED_LINKS |
  Permissions.MENTION_EVERYONE |
  Permissions.MANAGE_MESSAGES |
  Permissions.PIN_MESSAGES |
  Permissions.MANAGE_THREADS |
  Permissions.MANAGE_WEBHOOKS |
  Permissions.CONNECT |
  Permissions.SPEAK |
  Permissions.REQUEST_TO_SPEAK |
  Permissions.STREAM;

/**
 * Step 5, Parley's private channels, on top of Discord's algorithm. Discord has no such flag
 * (a "private" channel there is an @everyone overwrite denying VIEW_CHANNEL, which the owner
 * and administrators bypass); Parley promises more: a private channel's contents belong to
 * its members alone, the owner and administrators included, while everyone in the server sees
 * its name. So the flag and the membership list stay, as a last step after the overwrites:
 * a non-member of a private channel loses CONTENT_PERMISSIONS, and ADMINISTRATOR with them
 * (which would otherwise stand for every permission, contents included), whatever any
 * overwrite allows. Overwrites still grant and deny within a private channel for its members
 * (e.g. a member overwrite denying one member SEND_MESSAGES), but never let a non-member read.
 * What is left for a non-member (Manage Channels, say) is guild-level and survives, as before.
 */
export function applyPrivateChannel(permissions: bigint, channel: { private: boolean }, isChannelMember: boolean): bigint {
  return channel.private && !isChannelMember ? permissions & ~(CONTENT_PERMISSIONS | Permissions.ADMINISTRATOR) : permissions;
}

/** What decides who may do what in a channel, besides roles: its overwrites and private membership. */
export interface ChannelRules {
  overwrites: readonly OverwriteLike[];
  /** Parley's private flag (see applyPrivateChannel). */
  private: boolean;
  /** Whether the member is one of the private channel's members (ignored for a public channel). */
  isMember: boolean;
}

/**
 * The channel asked about: a channel gives its own rules; a thread gives its parent's as
 * `threadParent` and none of its own. Threads carry no overwrites or membership of their own:
 * Discord's "Threads inherit permissions from the parent channel", and Parley's thread of a
 * private channel belongs to that channel's members.
 */
export type ChannelTarget = (ChannelRules & { threadParent?: undefined }) | { threadParent: ChannelRules; overwrites?: undefined; private?: undefined; isMember?: undefined };

export type ChannelPermissionInput = BasePermissionInput &
  ChannelTarget & {
    /** The type of the channel asked about (ChannelType): a thread's own type, not its parent's. */
    channelType: number;
    /** The member's `communication_disabled_until`, if any. */
    communicationDisabledUntil?: Instant | null;
    /** The time to judge a timeout against (the server's clock). */
    now: Instant;
    /**
     * computeBasePermissions(input), when the caller already has it: deciding many channels for
     * one member computes it once (it depends on the member and the roles, not the channel).
     */
    base?: bigint;
  };

/**
 * A member's permissions in a guild channel or thread: the single entry point, running
 * Discord's algorithm (base, overwrites, implicit permissions, timeout) and then Parley's
 * private channels. A thread is computed from its parent's rules, its own type deciding the
 * send permission (SEND_MESSAGES_IN_THREADS). DMs are not guild channels: DM_PERMISSIONS.
 */
export function permissionsInChannel(input: ChannelPermissionInput): bigint {
  const rules: ChannelRules = input.threadParent ?? input;
  let permissions = input.base ?? computeBasePermissions(input);
  permissions = computeOverwrites(permissions, input, rules.overwrites);
  // An overwrite may allow what 2FA withholds (Manage Messages in one channel): withheld still.
  if (input.twoFactorMissing) permissions &= ~MFA_REQUIRED_PERMISSIONS;
  permissions = applyImplicitPermissions(permissions, input.channelType);
  permissions = applyTimeout(permissions, input);
  return applyPrivateChannel(permissions, rules, rules.isMember);
}

/** What a DM or group DM recipient may do: talk, react, share, pin; nobody moderates. */
export const DM_PERMISSIONS =
  Permissions.VIEW_CHANNEL |
  Permissions.SEND_MESSAGES |
  Permissions.READ_MESSAGE_HISTORY |
  Permissions.ADD_REACTIONS |
  Permissions.ATTACH_FILES |
  Permissions.EMBED_LINKS |
  Permissions.PIN_MESSAGES |
  Permissions.CONNECT |
  Permissions.SPEAK |
  Permissions.STREAM;
