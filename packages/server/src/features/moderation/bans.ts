import { AuditLogEvent, type Ban, Permissions, SNOWFLAKE_EPOCH, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { type GuildAccess, guildWidePermissions, requireAbove, requirePermission } from '../../access/access';
import { isThread } from '../../access/channel-kinds';
import type { AppContext } from '../../context';
import type { BanRow, Tables } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { auditReason, recordAudit } from '../audit-log/record';
import { removeMember } from '../guilds/membership';
import { deleteMessages } from '../messages/delete';
import { getUserOrThrow, usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';

/**
 * Bans (Ban Members, declared by the routes). Banning a member removes them as a kick does
 * (their sessions get GUILD_DELETE at once) and needs standing above them; anyone else with an
 * account may be banned before they ever join. Optionally their messages of the last
 * `delete_message_seconds` (up to 7 days) go, each channel's audience hearing one
 * MESSAGE_DELETE_BULK. No invite, and no bot authorisation, brings a banned user back
 * (moderation/banned.ts) until the ban is lifted. Moderators (those holding Ban Members) hear
 * GUILD_BAN_ADD / GUILD_BAN_REMOVE; both are in the audit log.
 */
export function banRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  route(routes.moderation.ban, async ({ auth, access, params, body, request }) => {
    const seconds = body.delete_message_seconds ?? (body.delete_message_days ?? 0) * 86_400;
    await banUser(ctx, access, auth.user.id, params.user_id, { deleteMessageSeconds: seconds, reason: auditReason(request) });
  });

  route(routes.moderation.unban, async ({ auth, params, request }) => {
    const guildId = params.guild_id;
    const removed = await db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('bans').where('guild_id', '=', guildId).where('user_id', '=', params.user_id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await recordAudit(ctx, trx, { guildId, userId: auth.user.id, action: AuditLogEvent.MEMBER_BAN_REMOVE, targetId: params.user_id, reason: auditReason(request) });
      return true;
    });
    if (!removed) throw new ApiError('UNKNOWN_BAN');
    const user = await getUserOrThrow(db, params.user_id);
    await ctx.events.publish(event('GUILD_BAN_REMOVE', { guild_id: guildId, user: toUser(user) }, { users: await moderatorsOf(db, guildId, ctx.clock.now()) }));
  });

  route(routes.moderation.getBan, async ({ params }) => {
    const row = await db.selectFrom('bans').selectAll().where('guild_id', '=', params.guild_id).where('user_id', '=', params.user_id).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_BAN');
    return (await toBans(db, [row]))[0]!;
  });

  route(routes.moderation.listBans, async ({ params, query }) => {
    const base = db.selectFrom('bans').selectAll().where('guild_id', '=', params.guild_id);
    let rows: BanRow[];
    if (query.after) rows = await base.where('user_id', '>', query.after).orderBy('user_id', 'asc').limit(query.limit).execute();
    else if (query.before) rows = (await base.where('user_id', '<', query.before).orderBy('user_id', 'desc').limit(query.limit).execute()).reverse();
    else rows = await base.orderBy('user_id', 'asc').limit(query.limit).execute();
    return toBans(db, rows);
  });
}

/**
 * Bans someone from the actor's server, as PUT /guilds/:id/bans/:user_id does (the report queue
 * calls it too): Ban Members, standing above a member, the audit log entry, their removal,
 * the clean-up of their recent messages and GUILD_BAN_ADD to moderators.
 */
export async function banUser(ctx: AppContext, access: GuildAccess, actorId: Snowflake, userId: Snowflake, options: { deleteMessageSeconds: number; reason: string | null }): Promise<void> {
  const { db } = ctx;
  const guildId = access.guild.id;
  requirePermission(access, Permissions.BAN_MEMBERS);
  if (userId === access.guild.owner_id || userId === actorId) throw new ApiError('MISSING_PERMISSIONS');
  const user = await getUserOrThrow(db, userId);
  const member = await db.selectFrom('members').select('user_id').where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirst();
  if (member) await requireAbove(db, access, userId);
  const { reason } = options;
  const now = ctx.clock.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('bans')
      .values({ guild_id: guildId, user_id: userId, reason, created_at: now })
      .onConflict((oc) => oc.columns(['guild_id', 'user_id']).doUpdateSet({ reason }))
      .execute();
    await recordAudit(ctx, trx, { guildId, userId: actorId, action: AuditLogEvent.MEMBER_BAN_ADD, targetId: userId, reason });
  });
  if (member) await removeMember(ctx, guildId, userId);
  if (options.deleteMessageSeconds > 0) await deleteRecentMessages(ctx, guildId, userId, now - options.deleteMessageSeconds * 1000);
  await ctx.events.publish(event('GUILD_BAN_ADD', { guild_id: guildId, user: toUser(user) }, { users: await moderatorsOf(db, guildId, ctx.clock.now()) }));
}

async function toBans(db: Kysely<Tables>, rows: BanRow[]): Promise<Ban[]> {
  const users = await usersByIds(
    db,
    rows.map((r) => r.user_id),
  );
  return rows.flatMap((r) => (users.has(r.user_id) ? [{ reason: r.reason, user: toUser(users.get(r.user_id)!) }] : []));
}

/** The smallest snowflake of a moment: messages at or after it have IDs at least this. */
function snowflakeAt(ms: number): Snowflake {
  const sinceEpoch = BigInt(Math.floor(ms)) - SNOWFLAKE_EPOCH;
  return String(sinceEpoch > 0n ? sinceEpoch << 22n : 0n) as Snowflake;
}

/** A banned user's messages in the guild since `since`: deleted channel by channel, one MESSAGE_DELETE_BULK each. */
async function deleteRecentMessages(ctx: AppContext, guildId: Snowflake, userId: Snowflake, since: number): Promise<void> {
  const { db } = ctx;
  const messages = await db.selectFrom('messages').select(['id', 'channel_id']).where('guild_id', '=', guildId).where('author_id', '=', userId).where('id', '>=', snowflakeAt(since)).execute();
  if (messages.length === 0) return;
  const byChannel = new Map<Snowflake, Snowflake[]>();
  for (const m of messages) byChannel.set(m.channel_id, [...(byChannel.get(m.channel_id) ?? []), m.id]);
  const channelIds = [...byChannel.keys()];
  const channels = await db.selectFrom('channels').selectAll().where('id', 'in', channelIds).execute();
  const parentIds = [...new Set(channels.flatMap((c) => (c.parent_id && !byChannel.has(c.parent_id) ? [c.parent_id] : [])))];
  const parents = parentIds.length ? await db.selectFrom('channels').selectAll().where('id', 'in', parentIds).execute() : [];
  const byId = new Map([...channels, ...parents].map((c) => [c.id, c]));
  for (const channel of channels) {
    const parent = isThread(channel.type) && channel.parent_id ? (byId.get(channel.parent_id) ?? null) : null;
    await deleteMessages(ctx, channel, parent, byChannel.get(channel.id)!, { bulk: true });
  }
}

/**
 * The members who hold Ban Members (the owner and administrators included): who hears about
 * bans. One load of the guild's members and roles, never a query per member.
 */
async function moderatorsOf(db: Kysely<Tables>, guildId: Snowflake, now: number): Promise<Snowflake[]> {
  const [guild, members, roles, memberRoles] = await Promise.all([
    db.selectFrom('guilds').select(['id', 'owner_id']).where('id', '=', guildId).executeTakeFirstOrThrow(),
    db.selectFrom('members').select(['user_id', 'communication_disabled_until']).where('guild_id', '=', guildId).execute(),
    db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).execute(),
    db.selectFrom('member_roles').select(['user_id', 'role_id']).where('guild_id', '=', guildId).execute(),
  ]);
  const rolesOf = new Map<Snowflake, Snowflake[]>();
  for (const r of memberRoles) rolesOf.set(r.user_id, [...(rolesOf.get(r.user_id) ?? []), r.role_id]);
  return members.filter((m) => (guildWidePermissions(guild, roles, m, rolesOf.get(m.user_id) ?? [], now) & Permissions.BAN_MEMBERS) !== 0n).map((m) => m.user_id);
}
