import type { Snowflake } from './ids';

/**
 * Permission bits, with Discord's values so bot libraries and OAuth2 invite links mean the same
 * thing here. Sent as decimal strings (they exceed 32 bits). Roles and overwrites that combine
 * them arrive with the moderation work; today every member holds @everyone's permissions and
 * the owner holds all.
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
  MOVE_MEMBERS: 1n << 24n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
  MODERATE_MEMBERS: 1n << 40n,
  PIN_MESSAGES: 1n << 51n,
} as const;

export type PermissionName = keyof typeof Permissions;

export const ALL_PERMISSIONS: bigint = Object.values(Permissions).reduce((all, bit) => all | bit, 0n);

/** What @everyone may do in a new server: talk, react, share, call, invite. */
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
  Permissions.CHANGE_NICKNAME |
  Permissions.CREATE_PUBLIC_THREADS |
  Permissions.SEND_MESSAGES_IN_THREADS;

export function hasPermission(permissions: bigint, permission: bigint): boolean {
  if ((permissions & Permissions.ADMINISTRATOR) === Permissions.ADMINISTRATOR) return true;
  return (permissions & permission) === permission;
}

/**
 * Permissions are computed here and nowhere else: pure functions of the guild's owner, the
 * roles a member holds and the channel. Every server route and gateway check goes through them,
 * and clients use the same functions to decide what to offer.
 */

export interface MemberPermissionContext {
  ownerId: Snowflake;
  userId: Snowflake;
  /** @everyone plus the member's own roles. */
  roles: readonly { permissions: string }[];
}

/** A member's permissions across the guild: the owner and administrators hold everything. */
export function guildPermissions(ctx: MemberPermissionContext): bigint {
  if (ctx.userId === ctx.ownerId) return ALL_PERMISSIONS;
  let permissions = 0n;
  for (const role of ctx.roles) permissions |= BigInt(role.permissions);
  return (permissions & Permissions.ADMINISTRATOR) !== 0n ? ALL_PERMISSIONS : permissions;
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
  Permissions.CONNECT |
  Permissions.SPEAK |
  Permissions.STREAM;

/**
 * A member's permissions in one guild channel. A private channel's contents belong to its
 * members alone: not even the owner or an administrator reads them without being added.
 */
export function channelPermissions(guildWide: bigint, channel: { private: boolean }, isChannelMember: boolean): bigint {
  // ADMINISTRATOR goes too: it would otherwise stand for every permission, contents included.
  return channel.private && !isChannelMember ? guildWide & ~(CONTENT_PERMISSIONS | Permissions.ADMINISTRATOR) : guildWide;
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
