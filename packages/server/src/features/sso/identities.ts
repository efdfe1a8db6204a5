import type { Identity, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database';
import type { Tables, UserIdentityRow } from '../../db/tables';
import { ApiError } from '../../http/errors';
import type { OidcProviders } from './providers';

export async function findIdentity(db: Kysely<Tables>, provider: string, subject: string): Promise<UserIdentityRow | undefined> {
  return db.selectFrom('user_identities').selectAll().where('provider', '=', provider).where('subject', '=', subject).executeTakeFirst();
}

export async function identitiesOf(db: Kysely<Tables>, userId: Snowflake): Promise<UserIdentityRow[]> {
  return db.selectFrom('user_identities').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/**
 * Links a provider account to a Parley account. The UNIQUE constraints decide races: one
 * account per provider subject, one identity per account and provider.
 */
export async function addIdentity(db: Kysely<Tables>, identity: UserIdentityRow): Promise<void> {
  await db.insertInto('user_identities').values(identity).execute();
}

/**
 * Unlinks one of the user's identities, unless it is their last way in: an account with no
 * password and no other identity would be locked out for good. (Passkeys, when they exist, are
 * a way in too; they are not part of this branch.)
 */
export async function removeIdentity(database: Database, userId: Snowflake, identityId: Snowflake): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    // PostgreSQL: two removals at once must not each see the other identity as the one that remains.
    let query = trx.selectFrom('users').select('password_hash').where('id', '=', userId);
    if (database.dialect === 'postgres') query = query.forUpdate();
    const user = await query.executeTakeFirstOrThrow();
    const identities = await identitiesOf(trx, userId);
    if (!identities.some((i) => i.id === identityId)) throw new ApiError('UNKNOWN_IDENTITY');
    if (!user.password_hash && identities.length <= 1) throw new ApiError('LAST_SIGN_IN_METHOD');
    await trx.deleteFrom('user_identities').where('id', '=', identityId).where('user_id', '=', userId).execute();
  });
}

/** An identity as its owner sees it; a provider since removed from OIDC_PROVIDERS shows under its ID. */
export function toIdentity(row: UserIdentityRow, providers: OidcProviders): Identity {
  const known = providers.list().find((p) => p.id === row.provider);
  return { id: row.id, provider: known ?? { id: row.provider, name: row.provider }, email: row.email, created_at: new Date(row.created_at).toISOString() };
}
