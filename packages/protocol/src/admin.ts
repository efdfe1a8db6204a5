/**
 * The admin portal's contract (instance admins only). Imported as `@parley/protocol/admin`, not
 * through the package's index: the chat screen's initial bundle (budgeted, see
 * scripts/bundle-report.mjs) never carries these schemas, only the portal's lazy chunk does.
 */
import { z } from 'zod';
import { Snowflake } from './ids';
import { InstanceAuditAction, InstanceAuditEntry } from './instance-audit';
import { line } from './limits';
import { defineRoute } from './route';
import { ReportCategory, ReportStatus } from './safety';
import { DisplayName, Email, Username } from './users';

/** Limits of the admin portal's requests. */
export const AdminLimits = {
  /** Accounts one import may create (a CSV of this many data lines, or as many JSON entries). */
  importMaxUsers: 10_000,
  /** Bytes of one imported CSV file: 10,000 lines of address, name and flag fit with room to spare. */
  importMaxCsvBytes: 2 * 1024 * 1024,
  /** A search in the user list. */
  userQueryMax: 100,
} as const;

/** An account as an instance admin sees it. */
export const AdminUser = z.object({
  id: Snowflake,
  username: z.string(),
  global_name: z.string().nullable(),
  email: z.string().nullable(),
  email_verified: z.boolean(),
  admin: z.boolean(),
  minor: z.boolean(),
  /** Switched off by an admin: no sign-in until enabled again. */
  disabled: z.boolean(),
  guest: z.boolean(),
  bot: z.boolean(),
  /** Signs in with a one-time password and must choose their own first. */
  password_change_required: z.boolean(),
  mfa_enabled: z.boolean(),
  /** Erased: only the row remains, as the author of old messages. */
  deleted: z.boolean(),
  created_at: z.iso.datetime(),
});
export type AdminUser = z.infer<typeof AdminUser>;

export const AdminUserSession = z.object({
  id: Snowflake,
  client: z.string(),
  ip: z.string().nullable(),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime(),
});
export type AdminUserSession = z.infer<typeof AdminUserSession>;

/** A report about the user (from the reports table): by a person, or by the classifier (reporter_id null). */
export const AdminUserReport = z.object({
  id: Snowflake,
  reporter_id: Snowflake.nullable(),
  category: ReportCategory,
  status: ReportStatus,
  message_id: Snowflake.nullable(),
  channel_id: Snowflake.nullable(),
  guild_id: Snowflake.nullable(),
  note: z.string().nullable(),
  content: z.string().nullable(),
  created_at: z.iso.datetime(),
});
export type AdminUserReport = z.infer<typeof AdminUserReport>;

export const AdminUserDetail = AdminUser.extend({
  disabled_at: z.iso.datetime().nullable(),
  sessions: z.array(AdminUserSession),
  servers: z.array(z.object({ id: Snowflake, name: z.string(), owner: z.boolean() })),
  reports: z.array(AdminUserReport),
});
export type AdminUserDetail = z.infer<typeof AdminUserDetail>;

export const AdminUserQuery = z.object({
  /** Part of a username, display name or e-mail address (case-insensitive). */
  query: line(AdminLimits.userQueryMax).optional(),
  /** Users with a smaller ID (paging back; newest first). */
  before: Snowflake.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const CreateAdminUserBody = z.object({
  username: Username,
  email: Email.optional(),
  global_name: DisplayName.optional(),
  minor: z.boolean().default(false),
  admin: z.boolean().default(false),
});
export type CreateAdminUserBody = z.input<typeof CreateAdminUserBody>;

/**
 * A new account's first password: `password` is the one-time password when it was not mailed
 * (shown once, never stored in the clear); `emailed` when a link to choose one was mailed instead.
 */
export const CreatedAdminUser = z.object({
  user: AdminUser,
  password: z.string().nullable(),
  emailed: z.boolean(),
});
export type CreatedAdminUser = z.infer<typeof CreatedAdminUser>;

export const UpdateAdminUserBody = z
  .object({
    disabled: z.boolean().optional(),
    minor: z.boolean().optional(),
    admin: z.boolean().optional(),
  })
  .refine((b) => b.disabled !== undefined || b.minor !== undefined || b.admin !== undefined, { message: 'Give at least one of disabled, minor, admin' });
export type UpdateAdminUserBody = z.input<typeof UpdateAdminUserBody>;

export const ResetPasswordMode = z.enum(['one_time', 'email']);
export const AdminResetPasswordBody = z.object({ mode: ResetPasswordMode });
export const AdminResetPasswordResult = z.object({
  /** The one-time password (mode one_time); null when a link was mailed. */
  password: z.string().nullable(),
});

/** One person to create in an import. */
export const ImportUserEntry = z.object({
  email: Email,
  name: DisplayName.optional(),
  minor: z.boolean().default(false),
});
export type ImportUserEntry = z.input<typeof ImportUserEntry>;

/**
 * How the one-time passwords reach people: `email`, a mailed link to choose one (needs mail);
 * `download`, returned once in the answer. Default: email when the server sends mail.
 */
export const ImportDelivery = z.enum(['email', 'download']);
export type ImportDelivery = z.infer<typeof ImportDelivery>;

/**
 * The JSON body of an import (or its payload_json beside a CSV file in `files[0]`). Each entry
 * must be an object with a string `email` (else 400); what is in them is checked one by one: a
 * bad address, name or flag is skipped with its reason, as a bad CSV row is.
 */
export const ImportUsersBody = z.object({
  users: z
    .array(z.looseObject({ email: z.string().max(1024) }))
    .max(AdminLimits.importMaxUsers, `At most ${AdminLimits.importMaxUsers} users per import`)
    .optional(),
  delivery: ImportDelivery.optional(),
});
export type ImportUsersBody = z.input<typeof ImportUsersBody>;

export const ImportUsersResult = z.object({
  created: z.array(
    z.object({
      id: Snowflake,
      username: z.string(),
      email: z.string(),
      /** The one-time password, when delivery is download: shown this once. */
      password: z.string().optional(),
    }),
  ),
  /** `line` is the CSV line (1-based, the header included) or the JSON entry's index + 1. */
  skipped: z.array(z.object({ email: z.string(), line: z.number().int(), reason: z.string() })),
  delivery: ImportDelivery,
});
export type ImportUsersResult = z.infer<typeof ImportUsersResult>;

export const InstanceAuditQuery = z.object({
  before: Snowflake.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  action: InstanceAuditAction.optional(),
});

const DayCount = z.object({ day: z.iso.date(), count: z.number().int() });
export type DayCount = z.infer<typeof DayCount>;

export const InstanceStats = z.object({
  generated_at: z.iso.datetime(),
  users: z.object({
    /** Accounts with a login (people, not guests, bots or erased accounts). */
    total: z.number().int(),
    guests: z.number().int(),
    disabled: z.number().int(),
    minors: z.number().int(),
    /** Used a session (the API or the gateway) or sent a message since midnight UTC. */
    active_today: z.number().int(),
    /** The same over the last 7 days. */
    active_week: z.number().int(),
  }),
  /** Last 30 days, oldest first, UTC days (today last). */
  messages_per_day: z.array(DayCount),
  calls: z.object({
    live: z.number().int(),
    /** Calls ended per day, last 30 days. */
    per_day: z.array(DayCount),
    /** Minutes people spent in calls per day (each participant counts), last 30 days. */
    minutes_per_day: z.array(DayCount),
    total_minutes: z.number(),
  }),
  storage: z.object({
    attachments_bytes: z.number(),
    /** Everything under the data directory (database file, files), as the disk counts it. */
    data_dir_bytes: z.number(),
  }),
  /** Gateway connections per server node (several with Redis), each as it last reported. */
  nodes: z.array(z.object({ id: z.string(), connections: z.number().int(), seen_at: z.iso.datetime(), current: z.boolean() })),
  reports_per_day: z.array(DayCount),
  /** Reports the classifier made (reporter null), per day. */
  flags_per_day: z.array(DayCount),
  open_reports: z.number().int(),
});
export type InstanceStats = z.infer<typeof InstanceStats>;

const UserParams = z.object({ user_id: Snowflake });

export const adminRoutes = {
  listUsers: defineRoute({
    method: 'GET',
    path: '/admin/users',
    summary: 'Search accounts by username, display name or e-mail (newest first)',
    tag: 'Admin',
    auth: 'admin',
    query: AdminUserQuery,
    response: z.array(AdminUser),
  }),
  getUser: defineRoute({
    method: 'GET',
    path: '/admin/users/:user_id',
    summary: 'One account: profile, flags, sessions, servers and reports about them',
    tag: 'Admin',
    auth: 'admin',
    params: UserParams,
    response: AdminUserDetail,
  }),
  createUser: defineRoute({
    method: 'POST',
    path: '/admin/users',
    summary: 'Create an account with a one-time password (or a mailed link to choose one)',
    tag: 'Admin',
    auth: 'admin',
    body: CreateAdminUserBody,
    response: CreatedAdminUser,
  }),
  updateUser: defineRoute({
    method: 'PATCH',
    path: '/admin/users/:user_id',
    summary: 'Disable or enable an account, mark it as a minor, make or remove an instance admin',
    tag: 'Admin',
    auth: 'admin',
    params: UserParams,
    body: UpdateAdminUserBody,
    response: AdminUser,
  }),
  signOutUser: defineRoute({
    method: 'POST',
    path: '/admin/users/:user_id/sign-out',
    summary: 'End every session of an account (its gateway connections close at once)',
    tag: 'Admin',
    auth: 'admin',
    params: UserParams,
    response: null,
  }),
  resetUserPassword: defineRoute({
    method: 'POST',
    path: '/admin/users/:user_id/reset-password',
    summary: 'Give an account a one-time password (signs it out everywhere) or mail it a reset link',
    tag: 'Admin',
    auth: 'admin',
    params: UserParams,
    body: AdminResetPasswordBody,
    response: AdminResetPasswordResult,
  }),
  deleteUser: defineRoute({
    method: 'DELETE',
    path: '/admin/users/:user_id',
    summary: 'Erase an account now (its messages stay, shown as a deleted user)',
    tag: 'Admin',
    auth: 'admin',
    params: UserParams,
    response: null,
  }),
  importUsers: defineRoute({
    method: 'POST',
    path: '/admin/users/import',
    summary: 'Create accounts from a list of e-mail addresses: JSON, or a CSV file (email,name,minor) as files[0]',
    tag: 'Admin',
    auth: 'admin',
    body: ImportUsersBody,
    // 10,000 JSON entries with names need more than the default 256 KiB.
    bodyLimit: AdminLimits.importMaxCsvBytes,
    files: { maxCount: 1 },
    response: ImportUsersResult,
  }),
  auditLog: defineRoute({
    method: 'GET',
    path: '/admin/audit-log',
    summary: "The instance audit log: admins' and the safety system's actions, newest first",
    tag: 'Admin',
    auth: 'admin',
    query: InstanceAuditQuery,
    response: z.array(InstanceAuditEntry),
  }),
  stats: defineRoute({
    method: 'GET',
    path: '/admin/stats',
    summary: 'Instance statistics: users, messages, calls, storage, connections, reports',
    tag: 'Admin',
    auth: 'admin',
    response: InstanceStats,
  }),
};

/** Age of majority used to mark accounts as minors from a birth date at sign-up. */
export const ADULT_AGE = 18;

/**
 * Whether someone born on `birthDate` (YYYY-MM-DD) is under 18 on `now` (UTC), or null when the
 * date is not a plausible birth date (in the future, or more than 130 years ago).
 */
export function isMinorOn(birthDate: string, now: Date): boolean | null {
  const [year, month, day] = birthDate.split('-').map(Number) as [number, number, number];
  const born = Date.UTC(year, month - 1, day);
  if (Number.isNaN(born) || born > now.getTime() || now.getUTCFullYear() - year > 130) return null;
  const adultFrom = Date.UTC(year + ADULT_AGE, month - 1, day);
  return now.getTime() < adultFrom;
}
