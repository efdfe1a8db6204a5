import { type OverwriteLike, OverwriteType, Permissions, type Snowflake } from '@parley/protocol';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Audience } from '../bus/event-log';
import type { ChannelRow, RoleRow, Tables, UserRow } from '../db/tables';
import { isDirect } from './channel-kinds';
import { type ChannelAccess, type Viewer, governingChannel, loadDmMembers, overwritesOf, permissionsOf } from './access';

/**
 * What a caller's access already holds of a channel's audience (a send's, on its hot path): the
 * governing overwrites and the guild's @everyone, a DM's members. Whatever is missing is read.
 */
export type AudienceHints = Partial<Pick<ChannelAccess, 'overwrites' | 'guild' | 'dmMembers'>>;

/**
 * Who hears about what happens inside a channel (the gateway delivers to exactly this): a
 * public guild channel's guild (but those its overwrites hide it from), or, where overwrites
 * hide it from everyone but some, those who may view it; a private channel's members (a thread
 * follows its parent); a DM's recipients, except one who declined it. Same rules as access.ts.
 */
export async function channelAudience(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null, access?: AudienceHints): Promise<Audience> {
  if (isDirect(channel.type)) {
    const members = access?.dmMembers ?? (await loadDmMembers(db, channel.id));
    return { users: members.filter((m) => m.state !== 'declined').map((m) => m.user_id) };
  }
  return toAudience(channel.guild_id!, await channelViewers(db, channel, parent, 'contents', access));
}

/**
 * Of these users, those an event with this audience reaches, with their user rows: whom a
 * message's mentions ping (a mention of someone who cannot read the channel pings nobody) and
 * the users its payload shows. From the channel's audience (cached per node for a send), so one
 * statement at most: the rows of those it names, or of its guilds' members among them.
 */
export async function usersReached(db: Kysely<Tables>, audience: Audience, userIds: readonly Snowflake[]): Promise<UserRow[]> {
  const except = new Set(audience.exceptUsers);
  const named = new Set(audience.users);
  const candidates = [...new Set(userIds)].filter((id) => !except.has(id));
  const guilds = audience.guilds ?? [];
  const listed = candidates.filter((id) => named.has(id));
  if (guilds.length === 0) return listed.length ? db.selectFrom('users').selectAll().where('id', 'in', listed).execute() : [];
  if (candidates.length === 0) return [];
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', candidates)
    .where((eb) =>
      eb.or([
        ...(listed.length ? [eb('id', 'in', listed)] : []),
        eb.exists(eb.selectFrom('members').select('members.user_id').whereRef('members.user_id', '=', 'users.id').where('members.guild_id', 'in', guilds)),
      ]),
    )
    .execute();
}

/**
 * Who hears about a guild channel itself (created, renamed, moved, deleted): everyone it is
 * listed to, members of a private channel or not.
 */
export async function channelListingAudience(db: Kysely<Tables>, channel: ChannelRow): Promise<Audience> {
  return toAudience(channel.guild_id!, await channelViewers(db, channel, null, 'listing'));
}

/** A guild channel's viewers: the whole guild but some, or just some. */
type Viewers = { everyoneBut: Snowflake[] } | { only: Snowflake[] };

function toAudience(guildId: Snowflake, viewers: Viewers): Audience {
  if ('only' in viewers) return { users: viewers.only };
  return viewers.everyoneBut.length === 0 ? { guilds: [guildId] } : { guilds: [guildId], exceptUsers: viewers.everyoneBut };
}

const VIEW = Permissions.VIEW_CHANNEL;
const touchesViewing = (bits: string) => (BigInt(bits) & VIEW) !== 0n;
const targetOf = (overwrite: OverwriteLike) => overwrite.id as Snowflake;

/**
 * Who may view a guild channel, without deciding for every member of a big server on every
 * event: what a member holding no role that matters would see (@everyone's permissions and
 * overwrite) holds for all but the few whose roles, own overwrite or ownership can change it,
 * and only those are loaded and decided. A public channel nothing hides, the common case, is
 * answered without loading anyone.
 */
async function channelViewers(
  db: Kysely<Tables>,
  channel: ChannelRow,
  parent: ChannelRow | null,
  scope: 'contents' | 'listing',
  /** The sender's access to this channel, when at hand: its overwrites and @everyone are loaded already (the send path). */
  access?: AudienceHints,
): Promise<Viewers> {
  const governing = governingChannel(channel, parent);
  // Listing a private channel does not take membership: its name is public.
  const rules = scope === 'listing' ? { ...governing, private: 0 as const } : governing;
  const guildId = channel.guild_id!;
  const [overwrites, everyone] =
    access?.overwrites && access.guild
      ? [access.overwrites, access.guild.roles.find((r) => r.id === guildId)]
      : await Promise.all([overwritesOf(db, [rules.id]).then((o) => o.get(rules.id) ?? []), db.selectFrom('roles').selectAll().where('id', '=', guildId).executeTakeFirst()]);
  // Roles and overwrites only add to @everyone's View Channel unless an overwrite denies it
  // (and a timeout never takes it): overwrites that deny it to nobody hide the channel from nobody.
  const everyoneViews = everyone !== undefined && (BigInt(everyone.permissions) & VIEW) !== 0n;
  if (rules.private !== 1 && everyoneViews && overwrites.every((o) => !touchesViewing(o.deny))) return { everyoneBut: [] };

  const guild = access?.guild?.guild ?? (await db.selectFrom('guilds').select(['id', 'owner_id']).where('id', '=', guildId).executeTakeFirstOrThrow());
  const allRoles = () => db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).execute();
  const decide = async (candidates: Candidates, roles?: RoleRow[]) => viewersAmong(db, { guild, roles: roles ?? (await allRoles()), channel, parent, overwrites }, candidates);
  // A private channel's contents: its members, each decided (overwrites still apply to them).
  if (rules.private === 1) return { only: await decide({ channelMembersOf: rules.id }) };

  const roleOverwrites = overwrites.filter((o) => o.type === OverwriteType.ROLE && o.id !== guildId);
  const ownOverwrites = overwrites.filter((o) => o.type === OverwriteType.MEMBER);
  const nobody = { guild, roles: everyone ? [everyone] : [], userId: '0' as Snowflake, roleIds: [], communicationDisabledUntil: null };
  if ((permissionsOf(nobody, channel, parent, overwrites, true, Date.now()) & VIEW) !== 0n) {
    // Only a deny takes viewing away: a role's overwrite or one's own.
    const candidates = await holdersOf(db, guildId, roleOverwrites.filter((o) => touchesViewing(o.deny)).map(targetOf), ownOverwrites.filter((o) => touchesViewing(o.deny)).map(targetOf));
    if (candidates.length === 0) return { everyoneBut: [] };
    const viewers = new Set(await decide({ among: candidates }));
    return { everyoneBut: candidates.filter((id) => !viewers.has(id)) };
  }
  // Viewing comes only from ownership, Administrator, an overwrite allowing it, or a role
  // granting it (unless @everyone's overwrite takes it back from all roles).
  const roles = await allRoles();
  const everyoneDenies = overwrites.some((o) => o.type === OverwriteType.ROLE && o.id === guildId && touchesViewing(o.deny));
  const granting = roles.filter((r) => r.id !== guildId && ((BigInt(r.permissions) & Permissions.ADMINISTRATOR) !== 0n || (!everyoneDenies && touchesViewing(r.permissions))));
  const candidates = await holdersOf(
    db,
    guildId,
    [...granting.map((r) => r.id), ...roleOverwrites.filter((o) => touchesViewing(o.allow)).map(targetOf)],
    [guild.owner_id, ...ownOverwrites.filter((o) => touchesViewing(o.allow)).map(targetOf)],
  );
  return { only: await decide({ among: candidates }, roles) };
}

/** Whom to decide for: a private channel's members, or a list of users. */
type Candidates = { channelMembersOf: Snowflake } | { among: readonly Snowflake[] };

/** Holders of any of these roles, and these users (members or not). */
async function holdersOf(db: Kysely<Tables>, guildId: Snowflake, roleIds: Snowflake[], users: Snowflake[]): Promise<Snowflake[]> {
  if (roleIds.length === 0) return users;
  // No DISTINCT: with it SQLite walks the primary key to get user_id in order, not the role index (the Set dedupes).
  const holders = await db.selectFrom('member_roles').select('user_id').where('guild_id', '=', guildId).where('role_id', 'in', roleIds).execute();
  return [...new Set([...holders.map((h) => h.user_id), ...users])];
}

/**
 * Of the guild's members among the candidates, those who may view the channel: their roles
 * loaded in one query, then decided in memory, once per distinct role set (the owner and
 * members with an overwrite of their own apart). Never a query per member.
 */
async function viewersAmong(
  db: Kysely<Tables>,
  where: { guild: Viewer['guild']; roles: Viewer['roles']; channel: ChannelRow; parent: ChannelRow | null; overwrites: readonly OverwriteLike[] },
  candidates: Candidates,
): Promise<Snowflake[]> {
  const guildId = where.guild.id;
  if ('among' in candidates && candidates.among.length === 0) return [];
  const chosen = (eb: ExpressionBuilder<Tables, 'members'>) =>
    'among' in candidates
      ? eb('members.user_id', 'in', [...candidates.among])
      : eb('members.user_id', 'in', eb.selectFrom('channel_members').select('user_id').where('channel_id', '=', candidates.channelMembersOf));
  const rows = await db
    .selectFrom('members')
    .leftJoin('member_roles', (join) => join.onRef('member_roles.guild_id', '=', 'members.guild_id').onRef('member_roles.user_id', '=', 'members.user_id'))
    .select(['members.user_id', 'member_roles.role_id'])
    .where('members.guild_id', '=', guildId)
    .where(chosen)
    .execute();
  const rolesOf = new Map<Snowflake, Snowflake[]>();
  for (const { user_id, role_id } of rows) {
    const held = rolesOf.get(user_id) ?? [];
    if (role_id !== null) held.push(role_id);
    rolesOf.set(user_id, held);
  }
  const now = Date.now();
  const withOwnOverwrite = new Set(where.overwrites.filter((o) => o.type === OverwriteType.MEMBER).map((o) => o.id));
  // Viewing is never taken by a timeout, so none is needed here; a private channel's members
  // were chosen as members.
  const views = (userId: Snowflake, roleIds: Snowflake[]) => {
    const viewer = { guild: where.guild, roles: where.roles, userId, roleIds, communicationDisabledUntil: null };
    return (permissionsOf(viewer, where.channel, where.parent, where.overwrites, true, now) & VIEW) !== 0n;
  };
  // Members holding the same roles (no overwrite of their own, not the owner) share the answer.
  const byRoleSet = new Map<string, boolean>();
  return [...rolesOf].flatMap(([userId, roleIds]) => {
    if (userId === where.guild.owner_id || withOwnOverwrite.has(userId)) return views(userId, roleIds) ? [userId] : [];
    const key = [...roleIds].sort().join(',');
    let answer = byRoleSet.get(key);
    if (answer === undefined) byRoleSet.set(key, (answer = views(userId, roleIds)));
    return answer ? [userId] : [];
  });
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
  const rules = governingChannel(channel, parent);
  const guildId = channel.guild_id!;
  const [overwrites, guild, roles, channelMembers] = await Promise.all([
    overwritesOf(db, [rules.id]).then((o) => o.get(rules.id) ?? []),
    db.selectFrom('guilds').select(['id', 'owner_id']).where('id', '=', guildId).executeTakeFirstOrThrow(),
    db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).execute(),
    rules.private === 1 ? channelMemberIds(db, rules.id) : null,
  ]);
  const among = channelMembers ? userIds.filter((id) => channelMembers.includes(id)) : userIds;
  return viewersAmong(db, { guild, roles, channel, parent, overwrites }, { among });
}
