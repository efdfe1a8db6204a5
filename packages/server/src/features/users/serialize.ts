import type { PrivateUser, Snowflake, User } from '@parley/protocol';
import type { UserRow } from '../../db/tables';

/** A user as others see them. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    discriminator: '0',
    global_name: row.global_name,
    avatar: row.avatar,
    bot: row.bot === 1,
    system: false,
    guest: row.guest === 1,
    bio: row.bio,
    custom_status: row.custom_status,
    public_flags: 0,
  };
}

/** A user as they see themselves. */
export function toPrivateUser(row: UserRow): PrivateUser {
  return {
    ...toUser(row),
    email: row.email,
    verified: row.email_verified === 1,
    pending_email: row.pending_email,
    mfa_enabled: row.mfa_enabled === 1,
    flags: 0,
    admin: row.admin === 1,
    deletion_scheduled_at: row.deletion_scheduled_at === null ? null : new Date(row.deletion_scheduled_at).toISOString(),
    password_change_required: row.password_change_required === 1,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/** Stands in for someone whose account row no longer exists (a message's author, an appeal's writer). */
export function deletedUser(id: Snowflake): User {
  return {
    id,
    username: 'deleted_user',
    discriminator: '0' as const,
    global_name: 'Deleted User',
    avatar: null,
    bot: false,
    system: false,
    guest: false,
    bio: '',
    custom_status: null,
    public_flags: 0,
  };
}
