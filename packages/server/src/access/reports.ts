import { Permissions, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelRow, MessageRow, Tables } from '../db/tables';
import { ApiError } from '../http/errors';
import { type ChannelAccess, channelAccess, guildWidePermissions } from './access';
import { isDirect } from './channel-kinds';

/*
 * Who may report what, and who may review which reports (features/reports). The rules:
 * - anyone may report a message they can read (VIEW_CHANNEL and READ_MESSAGE_HISTORY in its
 *   channel or thread, or being a DM's recipient); any other message is "unknown";
 * - a report about a server's message goes to that server's moderators (those holding Manage
 *   Messages or Kick Members across the server) and to instance admins; a report about a DM or
 *   a person to instance admins alone;
 * - nobody reviews, sees or hears of a report about themselves (the reported person is never
 *   told, nor by whom), moderator or admin alike;
 * - the messages around a reported one are shown to a reviewer who may read that channel, and
 *   to instance admins for a reported DM (the reporter, one of its recipients, brought it to them).
 */

/** Holding either makes a server member one of its report reviewers. */
const REVIEW_PERMISSIONS = Permissions.MANAGE_MESSAGES | Permissions.KICK_MEMBERS;

/** What one person may review. */
export interface ReviewScope {
  userId: Snowflake;
  /** An instance admin: every report (but those about them). */
  admin: boolean;
  /** The servers whose reports they review as a moderator. */
  guildIds: Snowflake[];
}

/** The servers this person moderates, and whether they are an instance admin. */
export async function reviewScope(db: Kysely<Tables>, user: { id: Snowflake; admin: number }, now: number): Promise<ReviewScope> {
  const memberships = await db
    .selectFrom('members')
    .innerJoin('guilds', 'guilds.id', 'members.guild_id')
    .select(['guilds.id', 'guilds.owner_id', 'members.user_id', 'members.communication_disabled_until'])
    .where('members.user_id', '=', user.id)
    .execute();
  if (memberships.length === 0) return { userId: user.id, admin: user.admin === 1, guildIds: [] };
  const guildIds = memberships.map((m) => m.id);
  const [roles, held] = await Promise.all([
    db.selectFrom('roles').selectAll().where('guild_id', 'in', guildIds).execute(),
    db.selectFrom('member_roles').select(['guild_id', 'role_id']).where('user_id', '=', user.id).execute(),
  ]);
  const moderated = memberships.filter((m) => {
    const guildRoles = roles.filter((r) => r.guild_id === m.id);
    const roleIds = held.filter((h) => h.guild_id === m.id).map((h) => h.role_id);
    return (guildWidePermissions({ id: m.id, owner_id: m.owner_id }, guildRoles, m, roleIds, now) & REVIEW_PERMISSIONS) !== 0n;
  });
  return { userId: user.id, admin: user.admin === 1, guildIds: moderated.map((m) => m.id) };
}

/** Whether this reviewer may see (and act on) this report. */
export function mayReview(scope: ReviewScope, report: { guild_id: Snowflake | null; user_id: Snowflake | null }): boolean {
  if (report.user_id === scope.userId) return false;
  return scope.admin || (report.guild_id !== null && scope.guildIds.includes(report.guild_id));
}

/**
 * Who hears of a report (REPORT_CREATE, REPORT_UPDATE): the instance's admins and, for a server's
 * report, its moderators; never the reported person. One load of the server's members and roles.
 */
export async function reportReviewers(db: Kysely<Tables>, report: { guild_id: Snowflake | null; user_id: Snowflake | null }, now: number): Promise<Snowflake[]> {
  const admins = await db.selectFrom('users').select('id').where('admin', '=', 1).where('disabled_at', 'is', null).execute();
  const reviewers = new Set(admins.map((a) => a.id));
  if (report.guild_id) {
    const guildId = report.guild_id;
    const [guild, members, roles, memberRoles] = await Promise.all([
      db.selectFrom('guilds').select(['id', 'owner_id']).where('id', '=', guildId).executeTakeFirst(),
      db.selectFrom('members').select(['user_id', 'communication_disabled_until']).where('guild_id', '=', guildId).execute(),
      db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).execute(),
      db.selectFrom('member_roles').select(['user_id', 'role_id']).where('guild_id', '=', guildId).execute(),
    ]);
    if (guild) {
      const rolesOf = new Map<Snowflake, Snowflake[]>();
      for (const r of memberRoles) rolesOf.set(r.user_id, [...(rolesOf.get(r.user_id) ?? []), r.role_id]);
      for (const m of members) if ((guildWidePermissions(guild, roles, m, rolesOf.get(m.user_id) ?? [], now) & REVIEW_PERMISSIONS) !== 0n) reviewers.add(m.user_id);
    }
  }
  if (report.user_id) reviewers.delete(report.user_id);
  return [...reviewers];
}

/**
 * A message someone wants to report, if they can read it (`channelId`, when given, must be its
 * channel); otherwise "unknown message", revealing nothing about whether it exists.
 */
export async function reportableMessage(
  db: Kysely<Tables>,
  userId: Snowflake,
  messageId: Snowflake,
  channelId: Snowflake | undefined,
  now: number,
): Promise<{ message: MessageRow; access: ChannelAccess }> {
  const message = await db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  if (!message || (channelId !== undefined && message.channel_id !== channelId)) throw new ApiError('UNKNOWN_MESSAGE');
  const access = await channelAccess(db, message.channel_id, userId, now).catch((error: unknown) => {
    throw error instanceof ApiError ? new ApiError('UNKNOWN_MESSAGE') : error;
  });
  if (!readable(access)) throw new ApiError('UNKNOWN_MESSAGE');
  return { message, access };
}

/**
 * The channel a reported message is in, if this reviewer may read it there (its context is then
 * shown): as anyone reads a channel, or, for an instance admin, a reported DM. Null otherwise.
 */
export async function reviewableChannel(
  db: Kysely<Tables>,
  scope: ReviewScope,
  channelId: Snowflake,
  now: number,
): Promise<{ channel: ChannelRow; parent: ChannelRow | null; access: ChannelAccess | null } | null> {
  const channel = await db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst();
  if (!channel) return null;
  const access = await channelAccess(db, channelId, scope.userId, now).catch((error: unknown) => {
    if (error instanceof ApiError) return null;
    throw error;
  });
  if (access && readable(access)) return { channel, parent: access.parent, access };
  if (scope.admin && isDirect(channel.type)) return { channel, parent: null, access: null };
  return null;
}

function readable(access: ChannelAccess): boolean {
  const needed = Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY;
  return (access.permissions & needed) === needed;
}
