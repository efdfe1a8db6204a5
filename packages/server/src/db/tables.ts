import type { Snowflake } from '@parley/protocol';
import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * Row types of every table. Conventions the db layer relies on (see ./normalize.ts):
 * - snowflake columns are named `id` or `*_id` and come back as strings;
 * - other integer columns (counts, `*_at` epoch milliseconds, 0/1 flags) come back as numbers.
 */
export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
  registration_invites: RegistrationInvitesTable;
  instance_settings: InstanceSettingsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type RegistrationInviteRow = Selectable<RegistrationInvitesTable>;

export type Flag = 0 | 1;

export interface UsersTable {
  id: Snowflake;
  /** Lowercase; unique. */
  username: string;
  global_name: string | null;
  /** Lowercase; unique when set. */
  email: string | null;
  email_verified: Generated<Flag>;
  /** argon2id PHC string; null for guests. */
  password_hash: string | null;
  avatar: string | null;
  bio: Generated<string>;
  custom_status: string | null;
  guest: Generated<Flag>;
  bot: Generated<Flag>;
  admin: Generated<Flag>;
  password_change_required: Generated<Flag>;
  created_at: number;
}

export interface SessionsTable {
  id: Snowflake;
  user_id: Snowflake;
  /** SHA-256 of the token, hex: a stolen database does not yield usable tokens. */
  token_hash: string;
  client: string;
  ip: string | null;
  created_at: number;
  last_used_at: number;
}

export interface RegistrationInvitesTable {
  code: string;
  created_by_id: Snowflake | null;
  uses: Generated<number>;
  max_uses: number;
  expires_at: number | null;
  created_at: number;
}

export interface InstanceSettingsTable {
  key: string;
  /** JSON. */
  value: string;
}
