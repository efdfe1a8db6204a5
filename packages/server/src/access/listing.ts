import { Permissions, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables';
import { channelsAllowing, guildOverwrites } from './access';
import { isThread } from './channel-kinds';

/**
 * Which of a guild's channels (threads aside) are listed to each member: those whose overwrites
 * let them view it (a private channel is listed whether or not they belong to it). Taken before
 * and after a change of roles, overwrites or a member's roles, the difference is what their
 * clients must add or remove. One pass over rows loaded once: no query per member.
 */
export async function guildListing(db: Kysely<Tables>, guildId: Snowflake, userIds?: readonly Snowflake[]): Promise<Map<Snowflake, Set<Snowflake>>> {
  let members = db.selectFrom('members').select('user_id').where('guild_id', '=', guildId);
  let memberRoles = db.selectFrom('member_roles').select(['user_id', 'role_id']).where('guild_id', '=', guildId);
  if (userIds) {
    if (userIds.length === 0) return new Map();
    members = members.where('user_id', 'in', [...userIds]);
    memberRoles = memberRoles.where('user_id', 'in', [...userIds]);
  }
  const [guild, roles, channels, overwrites, memberRows, heldRoles] = await Promise.all([
    db.selectFrom('guilds').select(['id', 'owner_id']).where('id', '=', guildId).executeTakeFirst(),
    db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).execute(),
    db.selectFrom('channels').select(['id', 'type', 'parent_id', 'private']).where('guild_id', '=', guildId).execute(),
    guildOverwrites(db, guildId),
    members.execute(),
    memberRoles.execute(),
  ]);
  const listing = new Map<Snowflake, Set<Snowflake>>();
  if (!guild) return listing;
  const topLevel = channels.filter((c) => !isThread(c.type));
  const rolesOf = new Map<Snowflake, Snowflake[]>();
  for (const r of heldRoles) rolesOf.set(r.user_id, [...(rolesOf.get(r.user_id) ?? []), r.role_id]);
  const now = Date.now();
  for (const { user_id: userId } of memberRows) {
    const viewer = { guild, roles, userId, roleIds: rolesOf.get(userId) ?? [], communicationDisabledUntil: null };
    listing.set(userId, channelsAllowing(viewer, topLevel, overwrites, 'all', Permissions.VIEW_CHANNEL, now));
  }
  return listing;
}
