import {
  DM_PERMISSIONS,
  type OverwriteLike,
  type PermissionName,
  Permissions,
  type RouteDef,
  type Snowflake,
  applyTimeout,
  computeBasePermissions,
  lacksRequiredTwoFactor,
  permissionsInChannel,
} from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelMemberState, ChannelRow, GuildRow, MemberRow, RoleRow, Tables } from '../db/tables';
import { isDirect, isThread } from './channel-kinds';
import { ApiError } from '../http/errors';

/*
 * The access policy: who may see and do what. Every route, the gateway's delivery (through
 * audience.ts) and search ask here; nothing else decides. The rules:
 * - a server is known to its members only; anyone else gets "unknown guild";
 * - a DM is known to its recipients only;
 * - a guild channel is known to the server's members (a private channel's name is public),
 *   but a private channel's contents belong to its members: not even the owner reads them
 *   without being added;
 * - a thread follows its parent: a private channel's threads are unknown to non-members;
 * - what a member may do is computed by protocol/permissions.ts's permissionsInChannel
 *   (Discord's algorithm: roles, then the channel's overwrites, implicit permissions, timeouts;
 *   then Parley's private channels), shared with clients so they offer what the server allows;
 * - a channel whose overwrites deny a member VIEW_CHANNEL is unknown to them: not listed, no
 *   events. A private channel is listed to whoever its overwrites let view it; its contents
 *   belong to its members (applyPrivateChannel, the last step of the same function);
 * - in a server that requires 2FA for moderation (mfa_level 1), a member without 2FA holds none
 *   of Discord's MFA-required permissions (kick, ban, timeout, manage roles, channels,
 *   messages…), owner included; asking for one of them is refused with 60003, not 50013, so
 *   they learn what would let them (requirePermission).
 */

/** A member's standing in a guild: the rows needed to decide what they may do. */
export interface GuildAccess {
  guild: GuildRow;
  member: MemberRow;
  /** @everyone and the member's roles. */
  roles: RoleRow[];
  /** The member's role IDs (@everyone not among them), as in the member object. */
  roleIds: Snowflake[];
  /** Guild-wide: roles, then the timeout. */
  permissions: bigint;
  /** The server requires 2FA for moderation and this member has none. */
  twoFactorMissing: boolean;
  /** What the member would hold but for that requirement: 0 when it does not apply. */
  twoFactorWithheld: bigint;
}

/** Loads a guild as seen by one user. Not a member: "unknown guild", revealing nothing. */
export async function guildAccess(db: Kysely<Tables>, guildId: Snowflake, userId: Snowflake, now = Date.now()): Promise<GuildAccess> {
  return decideGuildAccess(await loadStanding(db, guildId, userId), now);
}

/** What guildAccess decides from: the guild, the member, their roles (@everyone included). What cache/ keeps per member. */
export interface Standing {
  guild: GuildRow;
  member: MemberRow;
  mfaEnabled: boolean;
  roles: RoleRow[];
}

/** A member's standing in a guild, read in two statements; not a member: "unknown guild". */
async function loadStanding(db: Kysely<Tables>, guildId: Snowflake, userId: Snowflake): Promise<Standing> {
  const row = await db
    .selectFrom('guilds')
    .innerJoin('members', (join) => join.onRef('members.guild_id', '=', 'guilds.id').on('members.user_id', '=', userId))
    .selectAll('guilds')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['members.nick', 'members.joined_at', 'members.communication_disabled_until', 'members.mute', 'members.deaf', 'users.mfa_enabled'])
    .where('guilds.id', '=', guildId)
    .executeTakeFirst();
  if (!row) throw new ApiError('UNKNOWN_GUILD');
  const { nick, joined_at, communication_disabled_until, mute, deaf, mfa_enabled, ...guild } = row;
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
  const member: MemberRow = { guild_id: guildId, user_id: userId, nick, joined_at, communication_disabled_until, mute, deaf };
  return { guild, member, mfaEnabled: mfa_enabled === 1, roles };
}

/** guildAccess on a standing already loaded: what the member may do now (a timeout ends with time). */
function decideGuildAccess({ guild, member, mfaEnabled, roles }: Standing, now: number): GuildAccess {
  const roleIds = roles.filter((r) => r.id !== guild.id).map((r) => r.id);
  const twoFactorMissing = lacksRequiredTwoFactor(guild.mfa_level, mfaEnabled);
  const permissions = guildWidePermissions(guild, roles, member, roleIds, now, twoFactorMissing);
  const twoFactorWithheld = twoFactorMissing ? guildWidePermissions(guild, roles, member, roleIds, now) & ~permissions : 0n;
  return { guild, member, roles, roleIds, permissions, twoFactorMissing, twoFactorWithheld };
}

/**
 * A member's permissions across the guild (Discord's base permissions, then their timeout).
 * `twoFactorMissing`: the guild requires 2FA and the member has none (lacksRequiredTwoFactor);
 * left out where only what a member may see matters (2FA never hides anything).
 */
export function guildWidePermissions(
  guild: Pick<GuildRow, 'id' | 'owner_id'>,
  roles: readonly RoleRow[],
  member: Pick<MemberRow, 'user_id' | 'communication_disabled_until'>,
  roleIds: readonly Snowflake[],
  now: number,
  twoFactorMissing = false,
): bigint {
  const base = computeBasePermissions({ guildId: guild.id, ownerId: guild.owner_id, userId: member.user_id, memberRoleIds: roleIds, roles, twoFactorMissing });
  return applyTimeout(base, { communicationDisabledUntil: member.communication_disabled_until, now });
}

/** The channel overwrites of these channels, by channel. */
export async function overwritesOf(db: Kysely<Tables>, channelIds: readonly Snowflake[]): Promise<Map<Snowflake, OverwriteLike[]>> {
  const byChannel = new Map<Snowflake, OverwriteLike[]>();
  if (channelIds.length === 0) return byChannel;
  const rows = await db
    .selectFrom('permission_overwrites')
    .selectAll()
    .where('channel_id', 'in', [...channelIds])
    .execute();
  for (const row of rows) byChannel.set(row.channel_id, [...(byChannel.get(row.channel_id) ?? []), { id: row.target_id, type: row.type, allow: row.allow, deny: row.deny }]);
  return byChannel;
}

/** A guild's overwrites, by channel. */
export async function guildOverwrites(db: Kysely<Tables>, guildId: Snowflake): Promise<Map<Snowflake, OverwriteLike[]>> {
  const rows = await db
    .selectFrom('permission_overwrites')
    .innerJoin('channels', 'channels.id', 'permission_overwrites.channel_id')
    .selectAll('permission_overwrites')
    .where('channels.guild_id', '=', guildId)
    .execute();
  const byChannel = new Map<Snowflake, OverwriteLike[]>();
  for (const row of rows) byChannel.set(row.channel_id, [...(byChannel.get(row.channel_id) ?? []), { id: row.target_id, type: row.type, allow: row.allow, deny: row.deny }]);
  return byChannel;
}

/** Who is asking about a guild's channels: everything permissionsInChannel needs besides the channel. */
export interface Viewer {
  guild: Pick<GuildRow, 'id' | 'owner_id'>;
  /** The guild's roles (all, or @everyone and the member's). */
  roles: readonly RoleRow[];
  userId: Snowflake;
  roleIds: readonly Snowflake[];
  communicationDisabledUntil: number | null;
  /** The guild requires 2FA for moderation and this viewer has none; left out (false) where only visibility matters. */
  twoFactorMissing?: boolean;
}

export function viewerOf(access: GuildAccess): Viewer {
  return {
    guild: access.guild,
    roles: access.roles,
    userId: access.member.user_id,
    roleIds: access.roleIds,
    communicationDisabledUntil: access.member.communication_disabled_until,
    twoFactorMissing: access.twoFactorMissing,
  };
}

/**
 * A viewer's permissions in a guild channel or thread (its parent given), from the governing
 * channel's overwrites and whether they belong to it if it is private.
 */
export function permissionsOf(
  viewer: Viewer,
  channel: ChannelShape,
  parent: ChannelShape | null | undefined,
  overwrites: readonly OverwriteLike[],
  isMember: boolean,
  now: number,
  base?: bigint,
): bigint {
  const isPrivate = governingChannel(channel, parent).private === 1;
  // Literals, no object spread: READY decides every channel of every guild here, and on Node 20
  // spreading cost far more than the permission algorithm itself (issue 10's bench).
  const { guild, userId, roleIds: memberRoleIds, roles, communicationDisabledUntil } = viewer;
  const twoFactorMissing = viewer.twoFactorMissing ?? false;
  const channelType = channel.type;
  const guildId = guild.id;
  const ownerId = guild.owner_id;
  return parent
    ? permissionsInChannel({
        guildId,
        ownerId,
        userId,
        memberRoleIds,
        roles,
        twoFactorMissing,
        channelType,
        communicationDisabledUntil,
        now,
        base,
        threadParent: { overwrites, private: isPrivate, isMember },
      })
    : permissionsInChannel({ guildId, ownerId, userId, memberRoleIds, roles, twoFactorMissing, channelType, communicationDisabledUntil, now, base, overwrites, private: isPrivate, isMember });
}

/** The viewer as the permission algorithm takes a member. */
function memberInput(viewer: Viewer) {
  return {
    guildId: viewer.guild.id,
    ownerId: viewer.guild.owner_id,
    userId: viewer.userId,
    memberRoleIds: viewer.roleIds,
    roles: viewer.roles,
    twoFactorMissing: viewer.twoFactorMissing ?? false,
  };
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
  /** DMs: every member's state (the viewer's included), as the access was decided on. */
  dmMembers?: DmMembers;
  /** Guild channels: the governing channel's overwrites (a thread's are its parent's). */
  overwrites?: OverwriteLike[];
  /** What the viewer would hold here but for the server's 2FA requirement (see GuildAccess). */
  twoFactorWithheld?: bigint;
}

/** The channel whose membership decides who sees a channel's contents: a thread's parent, else itself. */
export function governingChannel<C extends ChannelShape>(channel: C, parent: C | null | undefined): C {
  return parent ?? channel;
}

/**
 * Loads a channel for one user. Channels they cannot know about (another server's, someone
 * else's DM, a thread of a private channel they are not in) are "unknown"; private channels are
 * known (their name is public) but give no content permissions unless the user is a member.
 */
export async function channelAccess(db: Kysely<Tables>, channelId: Snowflake, userId: Snowflake, now = Date.now()): Promise<ChannelAccess> {
  const channel = await db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst();
  if (!channel) throw new ApiError('UNKNOWN_CHANNEL');
  if (isDirect(channel.type)) return decideDmAccess(channel, await loadDmMembers(db, channelId), userId);
  return decideChannelAccess(await loadChannelStanding(db, channel, userId), now);
}

/** A DM's or group DM's members with their states: what its access and audience are decided from. */
export type DmMembers = readonly { user_id: Snowflake; state: ChannelMemberState }[];

export function loadDmMembers(db: Kysely<Tables>, channelId: Snowflake): Promise<DmMembers> {
  return db.selectFrom('channel_members').select(['user_id', 'state']).where('channel_id', '=', channelId).execute();
}

/** A DM's access on its members (loaded, or cached: cache/): known to its members only, whatever their state. */
export function decideDmAccess(channel: ChannelRow, members: DmMembers, userId: Snowflake): ChannelAccess {
  const membership = members.find((m) => m.user_id === userId);
  if (!membership) throw new ApiError('UNKNOWN_CHANNEL');
  return { channel, parent: null, guild: null, permissions: DM_PERMISSIONS, dmState: membership.state, dmMembers: members };
}

/** What a guild channel's access is decided from: the channel (and a thread's parent), the member's standing, the governing channel's overwrites and membership. */
export interface ChannelStanding {
  channel: ChannelRow;
  parent: ChannelRow | null;
  standing: Standing;
  overwrites: OverwriteLike[];
  isMember: boolean;
}

/** The rows a guild channel's access is decided from (not a member of its guild: "unknown channel"). */
export async function loadChannelStanding(db: Kysely<Tables>, channel: ChannelRow, userId: Snowflake): Promise<ChannelStanding> {
  const standing = await loadStanding(db, channel.guild_id!, userId).catch((error: unknown) => {
    throw error instanceof ApiError ? new ApiError('UNKNOWN_CHANNEL') : error;
  });
  const parent = isThread(channel.type) && channel.parent_id ? ((await db.selectFrom('channels').selectAll().where('id', '=', channel.parent_id).executeTakeFirst()) ?? null) : null;
  const rules = governingChannel(channel, parent);
  const [overwrites, isMember] = await Promise.all([overwritesOf(db, [rules.id]), rules.private === 1 ? isChannelMember(db, rules.id, userId) : false]);
  return { channel, parent, standing, overwrites: overwrites.get(rules.id) ?? [], isMember };
}

/** channelAccess on rows already loaded (or cached: cache/): the one place a guild channel's access is decided. */
export function decideChannelAccess({ channel, parent, standing, overwrites: channelOverwrites, isMember }: ChannelStanding, now: number): ChannelAccess {
  const guild = decideGuildAccess(standing, now);
  const viewer = viewerOf(guild);
  // A channel its overwrites hide is unknown; so is a thread of a channel whose contents are not yours.
  if (!can(permissionsOf(viewer, channel, parent, channelOverwrites, true, now), 'VIEW_CHANNEL')) throw new ApiError('UNKNOWN_CHANNEL');
  const permissions = permissionsOf(viewer, channel, parent, channelOverwrites, isMember, now);
  if (isThread(channel.type) && !can(permissions, 'VIEW_CHANNEL')) throw new ApiError('UNKNOWN_CHANNEL');
  const twoFactorWithheld = guild.twoFactorMissing ? permissionsOf({ ...viewer, twoFactorMissing: false }, channel, parent, channelOverwrites, isMember, now) & ~permissions : 0n;
  return { channel, parent, guild, permissions, dmState: null, overwrites: channelOverwrites, twoFactorWithheld };
}

export async function isChannelMember(db: Kysely<Tables>, channelId: Snowflake, userId: Snowflake): Promise<boolean> {
  const row = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

function can(permissions: bigint, name: PermissionName): boolean {
  return (permissions & Permissions[name]) === Permissions[name];
}

/**
 * Throws unless every permission is held: without VIEW_CHANNEL "missing access" (Discord's
 * 50001, the channel's contents are not yours to know about); for one the member would hold
 * but for the server's 2FA requirement, "two factor is required" (60003); else "missing
 * permissions" (50013).
 */
export function requirePermission(access: { permissions: bigint; twoFactorWithheld?: bigint }, ...needed: bigint[]): void {
  const missing = needed.filter((permission) => (access.permissions & permission) !== permission);
  if (missing.length === 0) return;
  if (missing.includes(Permissions.VIEW_CHANNEL)) throw new ApiError('MISSING_ACCESS');
  const withheld = access.twoFactorWithheld ?? 0n;
  throw new ApiError(missing.some((permission) => (permission & withheld) !== 0n) ? 'MFA_REQUIRED' : 'MISSING_PERMISSIONS');
}

/** For anything touching a channel's contents: VIEW_CHANNEL (50001 without it), then each other permission. */
export function requireContentPermission(access: { permissions: bigint }, ...needed: bigint[]): void {
  requirePermission(access, Permissions.VIEW_CHANNEL, ...needed);
}

/** The position of a member's highest role (@everyone's 0 when they hold none). */
function highestPosition(roles: readonly Pick<RoleRow, 'id' | 'guild_id' | 'position'>[]): number {
  return roles.reduce((top, role) => (role.id === role.guild_id ? top : Math.max(top, role.position)), 0);
}

/**
 * Acting on another member (kick, ban, timeout, nickname) needs standing above them: nobody
 * acts on the owner or on themselves this way, and anyone but the owner only on members whose
 * highest role sits below their own highest role (Discord's hierarchy).
 */
export async function requireAbove(db: Kysely<Tables>, actor: GuildAccess, targetId: Snowflake): Promise<void> {
  const { guild } = actor;
  const target = await db.selectFrom('members').select('user_id').where('guild_id', '=', guild.id).where('user_id', '=', targetId).executeTakeFirst();
  if (!target) throw new ApiError('UNKNOWN_MEMBER');
  if (targetId === guild.owner_id || targetId === actor.member.user_id) throw new ApiError('MISSING_PERMISSIONS');
  if (actor.member.user_id === guild.owner_id) return;
  const targetRoles = await db
    .selectFrom('member_roles')
    .innerJoin('roles', 'roles.id', 'member_roles.role_id')
    .select(['roles.id', 'roles.guild_id', 'roles.position'])
    .where('member_roles.guild_id', '=', guild.id)
    .where('member_roles.user_id', '=', targetId)
    .execute();
  if (highestPosition(actor.roles) <= highestPosition(targetRoles)) throw new ApiError('MISSING_PERMISSIONS');
}

/**
 * Editing, assigning or removing a role needs it to sit below the actor's highest role (the
 * owner stands above all). @everyone (position 0) is below everyone's, so anyone with Manage
 * Roles may edit its permissions, within what they hold (requireGrantable).
 */
export function requireRoleBelow(actor: GuildAccess, role: Pick<RoleRow, 'position'>): void {
  if (actor.member.user_id === actor.guild.owner_id) return;
  if (role.position >= highestPosition(actor.roles)) throw new ApiError('MISSING_PERMISSIONS');
}

/** Nobody grants a permission they do not hold (guild-wide, or in the channel for an overwrite). */
export function requireGrantable(held: bigint, granted: bigint): void {
  if ((granted & ~held) !== 0n) throw new ApiError('MISSING_PERMISSIONS');
}

/** What a route declared with `requires` receives: the access it was checked against. */
export type DeclaredAccess<R extends RouteDef> = R['requires'] extends { channel: readonly PermissionName[] }
  ? ChannelAccess
  : R['requires'] extends { guild: readonly PermissionName[] }
    ? GuildAccess
    : undefined;

/** Checks what a route declares it requires (see RouteDef.requires) against its path's channel or guild. */
export async function authorizeRoute(
  db: Kysely<Tables>,
  requires: NonNullable<RouteDef['requires']>,
  params: unknown,
  userId: Snowflake,
  /** Where a channel's access comes from: channelAccess, or the cached rows (access/cached.ts) for the routes that take them. */
  loadChannel: typeof channelAccess = channelAccess,
): Promise<ChannelAccess | GuildAccess> {
  const ids = params as { channel_id?: Snowflake; guild_id?: Snowflake };
  const access = 'channel' in requires ? await loadChannel(db, ids.channel_id!, userId) : await guildAccess(db, ids.guild_id!, userId);
  const needed = 'channel' in requires ? requires.channel : requires.guild;
  requirePermission(access, ...needed.map((name) => Permissions[name]));
  return access;
}

/**
 * The guild's channels (threads included) in which this member holds every `needed`
 * permission: what search looks through, which threads and voice states GUILD_CREATE shows,
 * which read states READY carries. Same rules as channelAccess, for every channel at once.
 */
export async function guildChannelsAllowing(db: Kysely<Tables>, access: GuildAccess, needed: bigint, now = Date.now()): Promise<Set<Snowflake>> {
  const guildId = access.guild.id;
  const [channels, memberships, overwrites] = await Promise.all([
    db.selectFrom('channels').select(['id', 'type', 'parent_id', 'private']).where('guild_id', '=', guildId).execute(),
    db
      .selectFrom('channel_members')
      .select('channel_id')
      .where('user_id', '=', access.member.user_id)
      .where('channel_id', 'in', (eb) => eb.selectFrom('channels').select('id').where('guild_id', '=', guildId).where('private', '=', 1))
      .execute(),
    guildOverwrites(db, guildId),
  ]);
  return channelsAllowing(viewerOf(access), channels, overwrites, new Set(memberships.map((m) => m.channel_id)), needed, now);
}

/** What the access rules need of a guild channel. */
export type ChannelShape = Pick<ChannelRow, 'id' | 'type' | 'parent_id' | 'private'>;

/**
 * guildChannelsAllowing on rows already loaded: of one guild's channels, those in which this
 * viewer, in the private channels `memberOf`, holds every `needed`. With `memberOf` "all",
 * private membership is left out: the channels listed to them (VIEW_CHANNEL needed).
 */
export function channelsAllowing(
  viewer: Viewer,
  channels: readonly ChannelShape[],
  overwrites: ReadonlyMap<Snowflake, readonly OverwriteLike[]>,
  memberOf: ReadonlySet<Snowflake> | 'all',
  needed: bigint,
  now: number,
): Set<Snowflake> {
  const allowed = new Set<Snowflake>();
  for (const [id, permissions] of channelPermissions(viewer, channels, overwrites, memberOf, now)) if ((permissions & needed) === needed) allowed.add(id);
  return allowed;
}

/**
 * A viewer's permissions in each of one guild's channels (threads with their parent; a thread
 * whose parent is not among `channels` is left out), in private channels as a member of those
 * in `memberOf` ("all": as if a member of each, for what is listed to them). One pass, the base
 * permissions computed once.
 */
export function channelPermissions(
  viewer: Viewer,
  channels: readonly ChannelShape[],
  overwrites: ReadonlyMap<Snowflake, readonly OverwriteLike[]>,
  memberOf: ReadonlySet<Snowflake> | 'all',
  now: number,
): Map<Snowflake, bigint> {
  const byId = new Map(channels.map((c) => [c.id, c]));
  const base = computeBasePermissions(memberInput(viewer));
  const permissions = new Map<Snowflake, bigint>();
  for (const channel of channels) {
    const parent = isThread(channel.type) && channel.parent_id ? byId.get(channel.parent_id) : undefined;
    if (isThread(channel.type) && !parent) continue;
    const rules = governingChannel(channel, parent);
    const isMember = memberOf === 'all' || memberOf.has(rules.id);
    permissions.set(channel.id, permissionsOf(viewer, channel, parent, overwrites.get(rules.id) ?? [], isMember, now, base));
  }
  return permissions;
}
