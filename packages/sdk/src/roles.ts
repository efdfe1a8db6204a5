import { type Member, Permissions, type Role, type Snowflake, hasPermission, isTimedOut } from '@parley/protocol';
import { type Known, permissionsInGuild } from './permissions';

/*
 * The role hierarchy as a client needs it, from the cache, by the server's rules (its access
 * module: requireAbove, requireRoleBelow): what a moderator may be offered, how a name is
 * colored, how the member list groups. The server still decides.
 */

/** A guild's roles, highest first (@everyone last); equal positions by ID, as Discord sorts them. */
export function rolesByRank(cache: Known, guildId: Snowflake): Role[] {
  const roles = cache.guilds.get(guildId)?.roles ?? [];
  return [...roles].sort((a, b) => b.position - a.position || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

/** The roles a member holds, highest first (@everyone not among them). */
export function rolesOf(cache: Known, guildId: Snowflake, userId: Snowflake): Role[] {
  const held = new Set(cache.members.get(guildId)?.get(userId)?.roles ?? []);
  return rolesByRank(cache, guildId).filter((role) => held.has(role.id) && role.id !== guildId);
}

/** Where a member stands: the owner above all, otherwise their highest role's position (0 for none). */
function rank(cache: Known, guildId: Snowflake, userId: Snowflake): number {
  if (cache.guilds.get(guildId)?.owner_id === userId) return Number.POSITIVE_INFINITY;
  return rolesOf(cache, guildId, userId)[0]?.position ?? 0;
}

/**
 * Whether the signed-in user stands above this member, as kicking, banning, timing out or
 * editing them needs: never themselves or the owner; the owner above everyone else; anyone
 * else only above those whose highest role sits lower than their own.
 */
export function outranks(cache: Known, guildId: Snowflake, targetId: Snowflake): boolean {
  const me = cache.user?.id;
  const guild = cache.guilds.get(guildId);
  if (!me || !guild || targetId === me || targetId === guild.owner_id) return false;
  return rank(cache, guildId, me) > rank(cache, guildId, targetId);
}

/** Whether the signed-in user may edit, give or take this role: it sits below their highest (the owner: any). @everyone is given to nobody. */
export function canManageRole(cache: Known, guildId: Snowflake, role: Pick<Role, 'position'>): boolean {
  const me = cache.user?.id;
  return !!me && role.position < rank(cache, guildId, me);
}

/** The color a member's name shows in: their highest role that has one (0 means none). */
export function nameColor(cache: Known, guildId: Snowflake, userId: Snowflake): string | null {
  const colored = rolesOf(cache, guildId, userId).find((role) => role.color !== 0);
  return colored ? roleColorHex(colored.color) : null;
}

/** A role color (an RGB integer) as CSS. */
export function roleColorHex(color: number): string {
  return `#${color.toString(16).padStart(6, '0')}`;
}

/** The group a member is listed under: their highest hoisted role, or null (the online/offline lists). */
export function hoistedRole(cache: Known, guildId: Snowflake, userId: Snowflake): Role | null {
  return rolesOf(cache, guildId, userId).find((role) => role.hoist) ?? null;
}

/** When a member's timeout ends, if they are timed out now. */
export function timeoutEndsAt(member: Pick<Member, 'communication_disabled_until'> | undefined, now: number = Date.now()): Date | null {
  const until = member?.communication_disabled_until;
  return until && isTimedOut(until, now) ? new Date(until) : null;
}

/** One heading of a server's member list and who is under it. */
export interface MemberGroup {
  /** A hoisted role's ID, or 'online' / 'offline'. */
  id: string;
  label: string;
  members: Member[];
  /** How many the heading counts: more than `members` where the server counts people not listed. */
  count: number;
}

/**
 * What the server counts in a large server (more members than large_threshold), where a client
 * knows the presences it follows only: everyone online there, and every member.
 */
export interface ServerCounts {
  online: number;
  members: number;
}

/**
 * A server's member list as Discord groups it: online members under their highest hoisted
 * role (highest role first), the other online members under Online, everyone offline under
 * Offline; each group ordered by `compare`, empty groups left out. With the server's `counts`
 * (a large server), Online and Offline count everyone, not only the members whose presence
 * this client follows.
 */
export function memberGroups(
  cache: Known,
  guildId: Snowflake,
  members: readonly Member[],
  isOnline: (userId: Snowflake) => boolean,
  compare: (a: Member, b: Member) => number,
  counts?: ServerCounts,
): MemberGroup[] {
  // The roles are ranked once, not per member: a list can hold a thousand people.
  const hoistedRoles = rolesByRank(cache, guildId).filter((role) => role.hoist && role.id !== guildId);
  const groups: MemberGroup[] = hoistedRoles.map((role) => ({ id: role.id, label: role.name, members: [], count: 0 }));
  const online: MemberGroup = { id: 'online', label: 'Online', members: [], count: 0 };
  const offline: MemberGroup = { id: 'offline', label: 'Offline', members: [], count: 0 };
  for (const member of members) {
    if (!isOnline(member.user.id)) offline.members.push(member);
    else (groups[hoistedRoles.findIndex((role) => member.roles.includes(role.id))] ?? online).members.push(member);
  }
  for (const group of [...groups, online, offline]) group.count = group.members.length;
  if (counts) {
    // Online members not followed are counted under Online: their roles are not known here.
    const hoistedOnline = groups.reduce((sum, group) => sum + group.count, 0);
    online.count = Math.max(online.count, counts.online - hoistedOnline);
    offline.count = Math.max(0, counts.members - Math.max(counts.online, hoistedOnline + online.members.length));
  }
  groups.push(online, offline);
  // A group the server counts as empty may still list members whose presence is not followed yet.
  return groups.filter((group) => group.count > 0 || group.members.length > 0).map((group) => ({ ...group, members: group.members.sort(compare) }));
}

/** The roles the signed-in user may give or take (Manage Roles aside): below their highest, never @everyone or a bot's managed role. */
export function assignableRoles(cache: Known, guildId: Snowflake): Role[] {
  return rolesByRank(cache, guildId).filter((role) => role.id !== guildId && !role.managed && canManageRole(cache, guildId, role));
}

/** What the signed-in user may be offered to do to a member (a profile card, a members list). */
export interface ModerationOffer {
  /** Give or take the roles `assignableRoles` lists. */
  manageRoles: boolean;
  timeOut: boolean;
  kick: boolean;
  ban: boolean;
}

/**
 * The moderation a member may be offered, by the server's rules: each action needs its
 * permission across the guild (a timed-out moderator holds none), and timing out, kicking or
 * banning also needs to stand above them (`outranks`). Managing roles follows the roles'
 * rank, not the member's, as the server does.
 */
export function moderationOffer(cache: Known, guildId: Snowflake, targetId: Snowflake, now: number = Date.now()): ModerationOffer {
  const mine = permissionsInGuild(cache, guildId, now);
  const above = outranks(cache, guildId, targetId);
  return {
    manageRoles: hasPermission(mine, Permissions.MANAGE_ROLES) && cache.members.get(guildId)?.has(targetId) === true,
    timeOut: above && hasPermission(mine, Permissions.MODERATE_MEMBERS),
    kick: above && hasPermission(mine, Permissions.KICK_MEMBERS),
    ban: above && hasPermission(mine, Permissions.BAN_MEMBERS),
  };
}
