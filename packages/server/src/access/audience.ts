import { OverwriteType, Permissions, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../bus/event-log';
import type { ChannelRow, Tables } from '../db/tables';
import { isDirect } from './channel-kinds';
import { type ChannelAccess, governingChannel, overwritesOf, permissionsOf } from './access';

/**
 * Who hears about what happens inside a channel (the gateway delivers to exactly this): a
 * public guild channel's guild, or, when roles or overwrites hide it from some, those of its
 * members who may view it; a private channel's members (a thread follows its parent); a DM's
 * recipients, except one who declined it. Same rules as access.ts.
 */
export async function channelAudience(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null, access?: ChannelAccess): Promise<Audience> {
  if (isDirect(channel.type)) {
    const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('state', '!=', 'declined').execute();
    return { users: rows.map((r) => r.user_id) };
  }
  const viewers = await channelViewers(db, channel, parent, undefined, 'contents', access);
  return viewers === 'guild' ? { guilds: [channel.guild_id!] } : { users: viewers };
}

/**
 * Who may view a guild channel's contents: 'guild' when every member may (a public channel
 * nothing hides: the common case, answered without loading members), else their IDs. One pass
 * over the guild's members and roles in memory, never a query per member. Optionally only
 * among `among`.
 */
async function channelViewers(
  db: Kysely<Tables>,
  channel: ChannelRow,
  parent: ChannelRow | null,
  among?: readonly Snowflake[],
  scope: 'contents' | 'listing' = 'contents',
  /** The sender's access to this channel, when at hand: its overwrites and @everyone are loaded already (the send path). */
  access?: ChannelAccess,
): Promise<Snowflake[] | 'guild'> {
  const governing = governingChannel(channel, parent);
  // Listing a private channel does not take membership: its name is public.
  const rules = scope === 'listing' ? { ...governing, private: 0 as const } : governing;
  const guildId = channel.guild_id!;
  const [channelOverwrites, everyone] =
    access?.overwrites && access.guild
      ? [access.overwrites, access.guild.roles.find((r) => r.id === guildId)]
      : await Promise.all([overwritesOf(db, [rules.id]).then((o) => o.get(rules.id) ?? []), db.selectFrom('roles').select('permissions').where('id', '=', guildId).executeTakeFirst()]);
  const everyoneViews = everyone !== undefined && (BigInt(everyone.permissions) & Permissions.VIEW_CHANNEL) !== 0n;
  let members = db.selectFrom('members').select('user_id').where('guild_id', '=', guildId);
  // Roles and overwrites only add to @everyone's View Channel unless an overwrite denies it
  // (and a timeout never takes it): overwrites that deny it to nobody hide the channel from nobody.
  const nothingDeniesViewing = channelOverwrites.every((o) => (BigInt(o.deny) & Permissions.VIEW_CHANNEL) === 0n);
  if (rules.private !== 1 && everyoneViews && nothingDeniesViewing) {
    if (among === undefined) return 'guild';
    return among.length === 0 ? [] : (await members.where('user_id', 'in', [...among]).execute()).map((m) => m.user_id);
  }

  if (rules.private === 1) members = members.where('user_id', 'in', (eb) => eb.selectFrom('channel_members').select('user_id').where('channel_id', '=', rules.id));
  if (among !== undefined) {
    if (among.length === 0) return [];
    members = members.where('user_id', 'in', [...among]);
  }
  const [memberRows, guild, roles, memberRoles] = await Promise.all([
    members.execute(),
    db.selectFrom('guilds').select(['id', 'owner_id']).where('id', '=', guildId).executeTakeFirstOrThrow(),
    db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).execute(),
    db.selectFrom('member_roles').select(['user_id', 'role_id']).where('guild_id', '=', guildId).execute(),
  ]);
  const rolesOf = new Map<Snowflake, Snowflake[]>();
  for (const r of memberRoles) {
    const held = rolesOf.get(r.user_id);
    if (held) held.push(r.role_id);
    else rolesOf.set(r.user_id, [r.role_id]);
  }
  const now = Date.now();
  const withOwnOverwrite = new Set(channelOverwrites.filter((o) => o.type === OverwriteType.MEMBER).map((o) => o.id));
  // Members holding the same roles (and no overwrite of their own, not the owner) share the
  // answer: computed once per distinct role set, usually tens for thousands of members.
  const byRoleSet = new Map<string, boolean>();
  // Viewing is never taken by a timeout, so none is needed here; private members are members.
  const views = (userId: Snowflake, roleIds: Snowflake[]) => {
    const viewer = { guild, roles, userId, roleIds, communicationDisabledUntil: null };
    return (permissionsOf(viewer, channel, parent, channelOverwrites, true, now) & Permissions.VIEW_CHANNEL) !== 0n;
  };
  return memberRows
    .map((m) => m.user_id)
    .filter((userId) => {
      const roleIds = rolesOf.get(userId) ?? [];
      if (userId === guild.owner_id || withOwnOverwrite.has(userId)) return views(userId, roleIds);
      const key = roleIds.length < 2 ? (roleIds[0] ?? '') : [...roleIds].sort().join(',');
      let answer = byRoleSet.get(key);
      if (answer === undefined) byRoleSet.set(key, (answer = views(userId, roleIds)));
      return answer;
    });
}

/**
 * Who hears about a guild channel itself (created, renamed, moved, deleted): everyone it is
 * listed to, members of a private channel or not.
 */
export async function channelListingAudience(db: Kysely<Tables>, channel: ChannelRow): Promise<Audience> {
  const viewers = await channelViewers(db, channel, null, undefined, 'listing');
  return viewers === 'guild' ? { guilds: [channel.guild_id!] } : { users: viewers };
}

export async function channelMemberIds(db: Kysely<Tables>, channelId: Snowflake): Promise<Snowflake[]> {
  const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channelId).execute();
  return rows.map((r) => r.user_id);
}

/** Of the given users, those who may read the channel (mentions notify only them). */
export async function readersAmong(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null, userIds: Snowflake[]): Promise<Snowflake[]> {
  if (userIds.length === 0) return [];
  if (isDirect(channel.type)) {
    const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('user_id', 'in', userIds).execute();
    return rows.map((r) => r.user_id);
  }
  return (await channelViewers(db, channel, parent, userIds)) as Snowflake[];
}
