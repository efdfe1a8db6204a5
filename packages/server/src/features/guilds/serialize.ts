import type { Emoji, Guild, Member, Role, User } from '@parley/protocol';
import type { GuildRow, MemberRow, RoleRow } from '../../db/tables';

export function toRole(row: RoleRow): Role {
  return {
    id: row.id,
    name: row.name,
    color: row.color,
    hoist: row.hoist === 1,
    icon: null,
    unicode_emoji: null,
    position: row.position,
    permissions: row.permissions,
    managed: row.managed === 1,
    mentionable: row.mentionable === 1,
    flags: 0,
  };
}

/** A guild in Discord's shape, with its roles and custom emoji. */
export function toGuild(row: GuildRow, roles: readonly RoleRow[], emojis: Emoji[]): Guild {
  return {
    id: row.id,
    name: row.name,
    icon: row.icon,
    description: row.description,
    owner_id: row.owner_id,
    roles: roles.map(toRole),
    emojis,
    stickers: [],
    features: [],
    system_channel_id: row.system_channel_id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    mfa_level: row.mfa_level,
    nsfw_level: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    ...(row.e2ee === 1 && { e2ee: true }),
  };
}

/** A member object. A timeout that has ended shows as none. */
export function toMember(row: MemberRow, user: User, roleIds: string[], now = Date.now()): Member {
  const timedOutUntil = row.communication_disabled_until;
  return {
    user,
    nick: row.nick,
    avatar: null,
    roles: roleIds as Member['roles'],
    joined_at: new Date(row.joined_at).toISOString(),
    premium_since: null,
    deaf: row.deaf === 1,
    mute: row.mute === 1,
    flags: 0,
    pending: false,
    communication_disabled_until: timedOutUntil !== null && timedOutUntil > now ? new Date(timedOutUntil).toISOString() : null,
  };
}

/** A member object without its user, as carried by messages and reactions (which have the user already). */
export function withoutUser(member: Member): Omit<Member, 'user'> {
  const { user: _user, ...rest } = member;
  return rest;
}
