import { z } from 'zod';
import { Snowflake } from './ids';
import { defineRoute } from './route';
import { User } from './users';

/** Discord's audit log action types, the ones Parley records. */
export const AuditLogEvent = {
  GUILD_UPDATE: 1,
  CHANNEL_CREATE: 10,
  CHANNEL_UPDATE: 11,
  CHANNEL_DELETE: 12,
  CHANNEL_OVERWRITE_CREATE: 13,
  CHANNEL_OVERWRITE_UPDATE: 14,
  CHANNEL_OVERWRITE_DELETE: 15,
  MEMBER_KICK: 20,
  MEMBER_BAN_ADD: 22,
  MEMBER_BAN_REMOVE: 23,
  MEMBER_UPDATE: 24,
  MEMBER_ROLE_UPDATE: 25,
  MEMBER_MOVE: 26,
  MEMBER_DISCONNECT: 27,
  ROLE_CREATE: 30,
  ROLE_UPDATE: 31,
  ROLE_DELETE: 32,
  WEBHOOK_CREATE: 50,
  WEBHOOK_UPDATE: 51,
  WEBHOOK_DELETE: 52,
  MESSAGE_DELETE: 72,
  MESSAGE_BULK_DELETE: 73,
  MESSAGE_PIN: 74,
  MESSAGE_UNPIN: 75,
} as const;
export type AuditLogEvent = (typeof AuditLogEvent)[keyof typeof AuditLogEvent];

/** One changed field: its value before and after (absent where it did not exist). */
export const AuditLogChange = z.object({
  key: z.string(),
  old_value: z.unknown().optional(),
  new_value: z.unknown().optional(),
});
export type AuditLogChange = z.infer<typeof AuditLogChange>;

/** Extra facts some actions carry (Discord's "optional audit entry info"), as strings. */
export const AuditLogOptions = z.object({
  channel_id: Snowflake.optional(),
  message_id: Snowflake.optional(),
  count: z.string().optional(),
  delete_member_days: z.string().optional(),
  id: Snowflake.optional(),
  /** Overwrites: "0" a role, "1" a member. */
  type: z.string().optional(),
  role_name: z.string().optional(),
});

export const AuditLogEntry = z.object({
  id: Snowflake,
  /** Whom or what it was done to: a user, role, channel… */
  target_id: z.string().nullable(),
  /** Who did it. */
  user_id: Snowflake.nullable(),
  action_type: z.number().int(),
  changes: z.array(AuditLogChange).optional(),
  options: AuditLogOptions.optional(),
  reason: z.string().optional(),
});
export type AuditLogEntry = z.infer<typeof AuditLogEntry>;

/** GET /guilds/{id}/audit-logs, in Discord's shape (lists Parley has no counterpart for stay empty). */
export const AuditLog = z.object({
  audit_log_entries: z.array(AuditLogEntry),
  users: z.array(User),
  application_commands: z.array(z.never()),
  auto_moderation_rules: z.array(z.never()),
  guild_scheduled_events: z.array(z.never()),
  integrations: z.array(z.never()),
  threads: z.array(z.never()),
  webhooks: z.array(z.never()),
});
export type AuditLog = z.infer<typeof AuditLog>;

export const AuditLogQuery = z.object({
  user_id: Snowflake.optional(),
  action_type: z.coerce.number().int().min(1).max(255).optional(),
  before: Snowflake.optional(),
  after: Snowflake.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const auditLogRoutes = {
  list: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/audit-logs',
    summary: 'What moderators and administrators did, newest first (View Audit Log); filter by who acted, action, before / after and limit',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: ['VIEW_AUDIT_LOG'] },
    params: z.object({ guild_id: Snowflake }),
    query: AuditLogQuery,
    response: AuditLog,
  }),
};
