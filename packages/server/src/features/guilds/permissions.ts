import { ALL_PERMISSIONS, ChannelType, Permissions, type Snowflake } from '@parley/protocol';

/**
 * Permissions are computed here and nowhere else: pure functions of the guild's owner, the
 * roles a member holds and the channel. Every route and gateway check goes through them.
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

export function isDirect(type: number): boolean {
  return type === ChannelType.DM || type === ChannelType.GROUP_DM;
}

export function isThread(type: number): boolean {
  return type === ChannelType.PUBLIC_THREAD;
}
