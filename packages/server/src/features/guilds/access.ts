import { DM_PERMISSIONS, Permissions, type Snowflake, channelPermissions, guildPermissions } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelMemberState, ChannelRow, GuildRow, MemberRow, RoleRow, Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';
import { isDirect, isThread } from './permissions';

/** A member's standing in a guild: the rows needed to decide what they may do. */
export interface GuildAccess {
  guild: GuildRow;
  member: MemberRow;
  /** @everyone and the member's roles. */
  roles: RoleRow[];
  permissions: bigint;
}

/** Loads a guild as seen by one user. Not a member: "unknown guild", revealing nothing. */
export async function guildAccess(db: Kysely<Tables>, guildId: Snowflake, userId: Snowflake): Promise<GuildAccess> {
  const row = await db
    .selectFrom('guilds')
    .innerJoin('members', (join) => join.onRef('members.guild_id', '=', 'guilds.id').on('members.user_id', '=', userId))
    .selectAll('guilds')
    .select(['members.nick', 'members.joined_at'])
    .where('guilds.id', '=', guildId)
    .executeTakeFirst();
  if (!row) throw new ApiError('UNKNOWN_GUILD');
  const { nick, joined_at, ...guild } = row;
  const roles = await db
    .selectFrom('roles')
    .selectAll()
    .where('guild_id', '=', guildId)
    .where((eb) =>
      eb.or([
        eb('id', '=', guildId), // @everyone
        eb('id', 'in', eb.selectFrom('member_roles').select('role_id').where('guild_id', '=', guildId).where('user_id', '=', userId)),
      ]),
    )
    .execute();
  const member: MemberRow = { guild_id: guildId, user_id: userId, nick, joined_at };
  return { guild, member, roles, permissions: guildPermissions({ ownerId: guild.owner_id, userId, roles }) };
}

/** A channel as seen by one user, with what they may do in it. */
export interface ChannelAccess {
  channel: ChannelRow;
  /** Threads: the channel they hang off, whose visibility rules apply. */
  parent: ChannelRow | null;
  guild: GuildAccess | null;
  permissions: bigint;
  /** DMs: the viewer's own state in it (accepted, request, hidden, declined). */
  dmState: ChannelMemberState | null;
}

/**
 * Loads a channel for one user. Channels they cannot know about (another server's, someone
 * else's DM) are "unknown"; private channels are known (their name is public) but give no
 * content permissions unless the user is a member.
 */
export async function channelAccess(db: Kysely<Tables>, channelId: Snowflake, userId: Snowflake): Promise<ChannelAccess> {
  const channel = await db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst();
  if (!channel) throw new ApiError('UNKNOWN_CHANNEL');
  if (isDirect(channel.type)) {
    const membership = await db
      .selectFrom('channel_members')
      .select('state')
      .where('channel_id', '=', channelId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!membership) throw new ApiError('UNKNOWN_CHANNEL');
    return { channel, parent: null, guild: null, permissions: DM_PERMISSIONS, dmState: membership.state };
  }
  const guild = await guildAccess(db, channel.guild_id!, userId).catch((error: unknown) => {
    throw error instanceof ApiError ? new ApiError('UNKNOWN_CHANNEL') : error;
  });
  const parent = isThread(channel.type) && channel.parent_id ? ((await db.selectFrom('channels').selectAll().where('id', '=', channel.parent_id).executeTakeFirst()) ?? null) : null;
  const rules = parent ?? channel;
  const isMember = rules.private === 1 && (await isChannelMember(db, rules.id, userId));
  return { channel, parent, guild, permissions: channelPermissions(guild.permissions, { private: rules.private === 1 }, isMember), dmState: null };
}

export async function isChannelMember(db: Kysely<Tables>, channelId: Snowflake, userId: Snowflake): Promise<boolean> {
  const row = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/** Throws "missing permissions" (Discord's 50013) unless every permission is held. */
export function requirePermission(access: { permissions: bigint }, ...needed: bigint[]): void {
  for (const permission of needed) if ((access.permissions & permission) !== permission) throw new ApiError('MISSING_PERMISSIONS');
}

/**
 * For anything touching a channel's contents: without View Channel (a private channel one is
 * not in) it is "missing access" (50001); then each other permission is required.
 */
export function requireContentPermission(access: { permissions: bigint }, ...needed: bigint[]): void {
  if ((access.permissions & Permissions.VIEW_CHANNEL) === 0n) throw new ApiError('MISSING_ACCESS');
  requirePermission(access, ...needed);
}
