import { z } from 'zod';
import { Member } from './guilds';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { OverwriteType, PermissionBitSet } from './overwrites';
import { defineRoute } from './route';
import { User } from './users';

/*
 * Moderation, in Discord's v10 shapes: editing members (nickname, roles, timeout, server mute and
 * deafen, moving or disconnecting them in calls), bans, channel permission overwrites and bulk
 * deletes. Every action is recorded in the audit log with the `X-Audit-Log-Reason` header's
 * reason (URL-encoded, as Discord takes it).
 */

/** The request header a moderator's reason travels in. */
export const AUDIT_LOG_REASON_HEADER = 'x-audit-log-reason';

/**
 * PATCH /guilds/{id}/members/{user_id}. Each field needs its own permission: nick Manage
 * Nicknames, roles Manage Roles, mute Mute Members, deaf Deafen Members,
 * channel_id Move Members, communication_disabled_until Moderate Members.
 */
export const UpdateMemberBody = z.object({
  nick: line(Limits.displayNameMax).nullable().optional(),
  roles: z.array(Snowflake).max(Limits.rolesPerGuild).nullable().optional(),
  mute: z.boolean().nullable().optional(),
  deaf: z.boolean().nullable().optional(),
  /** Move them to this voice channel, or disconnect them from their call with null. */
  channel_id: Snowflake.nullable().optional(),
  /** Time them out until then (at most 28 days ahead); null ends a timeout. */
  communication_disabled_until: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type UpdateMemberBody = z.infer<typeof UpdateMemberBody>;

export const Ban = z.object({ reason: z.string().nullable(), user: User });
export type Ban = z.infer<typeof Ban>;

export const CreateBanBody = z.object({
  /** Delete the user's messages of the last this many seconds (0 to 7 days). */
  delete_message_seconds: z.number().int().min(0).max(Limits.banDeleteMessageSecondsMax).optional(),
  /** Discord's older field, in days (0 to 7). */
  delete_message_days: z.number().int().min(0).max(7).optional(),
});

export const BansQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  before: Snowflake.optional(),
  after: Snowflake.optional(),
});

export const EditOverwriteBody = z.object({
  type: z.literal([OverwriteType.ROLE, OverwriteType.MEMBER]),
  allow: PermissionBitSet.nullable().optional(),
  deny: PermissionBitSet.nullable().optional(),
});
export type EditOverwriteBody = z.infer<typeof EditOverwriteBody>;

export const BulkDeleteBody = z.object({
  messages: z.array(Snowflake).min(Limits.bulkDeleteMin).max(Limits.bulkDeleteMax),
});

const GuildParams = z.object({ guild_id: Snowflake });
const GuildUserParams = z.object({ guild_id: Snowflake, user_id: Snowflake });
const OverwriteParams = z.object({ channel_id: Snowflake, overwrite_id: Snowflake });

export const moderationRoutes = {
  updateMember: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/members/:user_id',
    summary: 'Edit a member: nickname, roles, timeout, server mute and deafen, move or disconnect from a call (each needs its permission; roles and timeouts only below you)',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: [] },
    params: GuildUserParams,
    body: UpdateMemberBody,
    response: Member,
  }),
  listBans: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/bans',
    summary: 'Who is banned, and why (Ban Members)',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: ['BAN_MEMBERS'] },
    params: GuildParams,
    query: BansQuery,
    response: z.array(Ban),
  }),
  getBan: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/bans/:user_id',
    summary: 'One ban (Ban Members)',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: ['BAN_MEMBERS'] },
    params: GuildUserParams,
    response: Ban,
  }),
  ban: defineRoute({
    method: 'PUT',
    path: '/guilds/:guild_id/bans/:user_id',
    summary: 'Ban someone (Ban Members; a member only below you): removes them, deletes their recent messages if asked, and no invite lets them back',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: ['BAN_MEMBERS'] },
    params: GuildUserParams,
    body: CreateBanBody,
    response: null,
  }),
  unban: defineRoute({
    method: 'DELETE',
    path: '/guilds/:guild_id/bans/:user_id',
    summary: 'Lift a ban (Ban Members)',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: ['BAN_MEMBERS'] },
    params: GuildUserParams,
    response: null,
  }),
  editOverwrite: defineRoute({
    method: 'PUT',
    path: '/channels/:channel_id/permissions/:overwrite_id',
    summary: 'Set what a role or member is allowed or denied in a channel (Manage Roles; only permissions you hold there)',
    tag: 'Moderation',
    auth: 'user',
    requires: { channel: ['MANAGE_ROLES'] },
    params: OverwriteParams,
    body: EditOverwriteBody,
    response: null,
  }),
  deleteOverwrite: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/permissions/:overwrite_id',
    summary: "Remove a role's or member's overwrite from a channel (Manage Roles)",
    tag: 'Moderation',
    auth: 'user',
    requires: { channel: ['MANAGE_ROLES'] },
    params: OverwriteParams,
    response: null,
  }),
  bulkDelete: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/messages/bulk-delete',
    summary: 'Delete 2 to 100 messages at once, none older than 14 days (Manage Messages)',
    tag: 'Moderation',
    auth: 'user',
    requires: { channel: ['MANAGE_MESSAGES'] },
    params: z.object({ channel_id: Snowflake }),
    body: BulkDeleteBody,
    response: null,
  }),
};
