import { AuditLogEvent, Permissions, type Snowflake } from '@parley/protocol';
import { type GuildAccess, requireAbove, requirePermission } from '../../access/access';
import { recordAudit } from '../audit-log/record';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../context';
import type { Tables } from '../../db/tables';
import { event } from '../../events/publisher';
import { toPresence } from '../../presence/payload';
import { getUserOrThrow } from '../users/queries';
import { toUser } from '../users/serialize';
import { guildCreatePayload, loadMembers } from './payloads';
import { rulesChanged } from '../../access/guild-rules';
import { channelMemberIds } from '../../access/audience';
import { announceRosterChanges, syncRosters } from '../e2ee/rosters';

/**
 * Adds a user to a guild (joining through an invite, a bot being added) and tells everyone:
 * the guild's members get GUILD_MEMBER_ADD, the newcomer's sessions get the whole guild.
 * Joining twice is harmless: returns false and announces nothing.
 */
export async function addMember(ctx: AppContext, guildId: Snowflake, userId: Snowflake, options: { roleIds?: Snowflake[]; trx?: Kysely<Tables> } = {}): Promise<boolean> {
  const db = options.trx ?? ctx.db;
  // Everything in an encrypted server is encrypted: where the instance keeps minors out of encrypted conversations, out of it too.
  const guild = await db.selectFrom('guilds').select('e2ee').where('id', '=', guildId).executeTakeFirstOrThrow();
  if (guild.e2ee === 1) await ctx.safety.requireEncryptionAllowed({ people: [userId] });
  const inserted = await db
    .insertInto('members')
    .values({ guild_id: guildId, user_id: userId, nick: null, joined_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['guild_id', 'user_id']).doNothing())
    .executeTakeFirst();
  if (!inserted.numInsertedOrUpdatedRows) return false;
  for (const roleId of options.roleIds ?? []) await db.insertInto('member_roles').values({ guild_id: guildId, user_id: userId, role_id: roleId }).execute();
  if (!options.trx) await announceMemberAdded(ctx, guildId, userId);
  return true;
}

/** A member changed (roles, nickname, timeout, server mute): everyone in the guild is told. */
export async function announceMemberUpdate(ctx: AppContext, guildId: Snowflake, userId: Snowflake): Promise<void> {
  const row = await ctx.db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirstOrThrow();
  const [member] = await loadMembers(ctx.db, guildId, [row]);
  await ctx.events.publish(event('GUILD_MEMBER_UPDATE', { ...member!, guild_id: guildId }, { guilds: [guildId] }));
}

/** The events for a member who joined (call after the transaction that added them committed), once they read what they may. */
export async function announceMemberAdded(ctx: AppContext, guildId: Snowflake, userId: Snowflake): Promise<void> {
  await syncRosters(ctx, guildId, { userIds: [userId] });
  const row = await ctx.db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirstOrThrow();
  const [member] = await loadMembers(ctx.db, guildId, [row]);
  // Someone already online shows as online to their new server straight away.
  const status = (await ctx.presence.visible([userId])).get(userId);
  await ctx.events.publish(
    event('GUILD_MEMBER_ADD', { ...member!, guild_id: guildId }, { guilds: [guildId] }),
    ...(status ? [event('PRESENCE_UPDATE', toPresence(userId, status, guildId), { guilds: [guildId] })] : []),
    event('GUILD_CREATE', await guildCreatePayload(ctx, guildId, userId), { users: [userId] }),
  );
}

/**
 * Removes a member (leaving, kicks, bans): their private channel memberships and their place among
 * an encrypted server's readers go with it, and those channels' members are told (their devices
 * take the leaver's out of encrypted ones at once).
 */
export async function removeMember(ctx: AppContext, guildId: Snowflake, userId: Snowflake): Promise<void> {
  const user = await getUserOrThrow(ctx.db, userId);
  const memberships = await ctx.db
    .selectFrom('channel_members')
    .innerJoin('channels', 'channels.id', 'channel_members.channel_id')
    .select(['channels.id', 'channels.private'])
    .where('channel_members.user_id', '=', userId)
    .where('channels.guild_id', '=', guildId)
    .execute();
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('channel_members')
      .where('user_id', '=', userId)
      .where('channel_id', 'in', trx.selectFrom('channels').select('id').where('guild_id', '=', guildId))
      .execute();
    await trx.deleteFrom('members').where('guild_id', '=', guildId).where('user_id', '=', userId).execute();
  });
  const privateChannels = memberships.filter((m) => m.private === 1).map((m) => m.id);
  const leftPrivate = await Promise.all(
    privateChannels.map(async (channelId) => event('CHANNEL_MEMBER_REMOVE', { guild_id: guildId, channel_id: channelId, user: toUser(user) }, { users: await channelMemberIds(ctx.db, channelId) })),
  );
  await ctx.events.publish(event('GUILD_MEMBER_REMOVE', { guild_id: guildId, user: toUser(user) }, { guilds: [guildId] }), event('GUILD_DELETE', { id: guildId }, { users: [userId] }), ...leftPrivate);
  const readerOf = memberships.filter((m) => m.private !== 1).map((m) => m.id);
  await announceRosterChanges(ctx, guildId, new Map(readerOf.map((channelId) => [channelId, { added: [], removed: [userId] }])));
  await ctx.calls.eject(userId, { guildId });
}

/** Bots get a managed role named after them, holding the permissions they were added with. */
export async function createBotRole(ctx: AppContext, trx: Kysely<Tables>, guildId: Snowflake, botName: string, permissions: bigint): Promise<Snowflake> {
  const roleId = ctx.ids.next();
  const top = await trx
    .selectFrom('roles')
    .select((eb) => eb.fn.max('position').as('p'))
    .where('guild_id', '=', guildId)
    .executeTakeFirst();
  await trx
    .insertInto('roles')
    .values({ id: roleId, guild_id: guildId, name: botName, permissions: String(permissions), position: Number(top?.p ?? 0) + 1, managed: 1 })
    .execute();
  await rulesChanged(trx, guildId);
  return roleId;
}

/**
 * Kicks a member, as DELETE /guilds/:id/members/:user_id does (the report queue calls it too):
 * Kick Members, standing above them, their removal (GUILD_DELETE to their sessions) and the
 * audit log entry.
 */
export async function kickMember(ctx: AppContext, access: GuildAccess, actorId: Snowflake, userId: Snowflake, reason: string | null): Promise<void> {
  requirePermission(access, Permissions.KICK_MEMBERS);
  await requireAbove(ctx.db, access, userId);
  await removeMember(ctx, access.guild.id, userId);
  await recordAudit(ctx, ctx.db, { guildId: access.guild.id, userId: actorId, action: AuditLogEvent.MEMBER_KICK, targetId: userId, reason });
}
