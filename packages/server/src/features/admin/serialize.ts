import type { AdminUser } from '@parley/protocol/admin';
import type { UserRow } from '../../db/tables';

const iso = (ms: number) => new Date(ms).toISOString();

/** An account as an instance admin sees it. */
export function toAdminUser(row: UserRow): AdminUser {
  return {
    id: row.id,
    username: row.username,
    global_name: row.global_name,
    email: row.email,
    email_verified: Boolean(row.email_verified),
    admin: Boolean(row.admin),
    minor: Boolean(row.minor),
    disabled: row.disabled_at !== null,
    guest: Boolean(row.guest),
    bot: Boolean(row.bot),
    password_change_required: Boolean(row.password_change_required),
    mfa_enabled: Boolean(row.mfa_enabled),
    deleted: row.deleted_at !== null,
    created_at: iso(row.created_at),
  };
}

export { iso };
