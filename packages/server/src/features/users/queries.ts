import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables, UserRow } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';
import { uniqueViolationColumn } from '../../db/errors';

async function findUser(db: Kysely<Tables>, id: Snowflake): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getUserOrThrow(db: Kysely<Tables>, id: Snowflake): Promise<UserRow> {
  const user = await findUser(db, id);
  if (!user) throw new ApiError('UNKNOWN_USER');
  return user;
}

/** Many users at once, by ID (missing ones are simply absent from the map). */
export async function usersByIds(db: Kysely<Tables>, ids: readonly Snowflake[]): Promise<Map<Snowflake, UserRow>> {
  const unique = [...new Set(ids)];
  const rows = unique.length ? await db.selectFrom('users').selectAll().where('id', 'in', unique).execute() : [];
  return new Map(rows.map((row) => [row.id, row]));
}

/** By username or e-mail address, already trimmed and lowercased (the schemas do it). */
export async function findUserByLogin(db: Kysely<Tables>, login: string): Promise<UserRow | undefined> {
  const column = login.includes('@') ? 'email' : 'username';
  return db.selectFrom('users').selectAll().where(column, '=', login).executeTakeFirst();
}

/**
 * Refuses a username or e-mail someone else already has, as a field error. Checked up front
 * for a clear message; the UNIQUE constraints still decide races (see uniqueFieldError).
 */
export async function assertAvailable(db: Kysely<Tables>, fields: { username?: string | undefined; email?: string | null | undefined }, exceptUserId: Snowflake | null = null): Promise<void> {
  for (const column of ['username', 'email'] as const) {
    const value = fields[column];
    if (!value) continue;
    let query = db.selectFrom('users').select('id').where(column, '=', value);
    if (exceptUserId) query = query.where('id', '!=', exceptUserId);
    if (await query.executeTakeFirst()) throw takenError(column);
  }
}

/** Rethrows a UNIQUE violation on username/email as the matching field error. */
export function uniqueFieldError(error: unknown): unknown {
  const column = uniqueViolationColumn(error);
  return column === 'username' || column === 'email' ? takenError(column) : error;
}

function takenError(column: 'username' | 'email'): ApiError {
  return column === 'username'
    ? fieldError('username', 'USERNAME_ALREADY_TAKEN', 'Username is unavailable. Try adding numbers, letters, underscores _ , or periods.')
    : fieldError('email', 'EMAIL_ALREADY_REGISTERED', 'Email is already registered.');
}
