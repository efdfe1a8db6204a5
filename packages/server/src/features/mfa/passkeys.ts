import type { Passkey, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { PasskeyRow, Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';

/** Passkeys one account may hold: plenty for every device, few enough to list in one prompt. */
export const PASSKEYS_PER_USER_MAX = 25;

export function toPasskey(row: PasskeyRow): Passkey {
  return {
    id: row.id,
    name: row.name,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
  };
}

export function passkeysOf(db: Kysely<Tables>, userId: Snowflake): Promise<PasskeyRow[]> {
  return db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/** One of the user's own passkeys; anyone else's is unknown. */
export async function ownPasskey(db: Kysely<Tables>, userId: Snowflake, passkeyId: Snowflake): Promise<PasskeyRow> {
  const row = await db.selectFrom('passkeys').selectAll().where('id', '=', passkeyId).where('user_id', '=', userId).executeTakeFirst();
  if (!row) throw new ApiError('UNKNOWN_PASSKEY');
  return row;
}

/** After a passkey signed: its new counter (clones show up as a counter going backwards) and when. */
export async function markPasskeyUsed(db: Kysely<Tables>, passkey: PasskeyRow, counter: number, now: number): Promise<void> {
  await db.updateTable('passkeys').set({ counter, last_used_at: now }).where('id', '=', passkey.id).execute();
}
