import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';

/**
 * A named per-instance secret (32 random bytes), created the first time it is asked for and
 * stored in the database: every node of the instance gets the same one, and it survives restarts.
 */
export async function instanceSecret(db: Kysely<Tables>, name: string, now: number): Promise<Buffer> {
  return Buffer.from(await instanceValue(db, name, now, () => randomBytes(32).toString('base64url')), 'base64url');
}

/**
 * A named per-instance value (a secret, as text), `make`'s the first time it is asked for and
 * kept in the database from then on. When several nodes make it at once, the first insert wins
 * and all read that one.
 */
export async function instanceValue(db: Kysely<Tables>, name: string, now: number, make: () => string | Promise<string>): Promise<string> {
  const known = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirst();
  if (known) return known.value;
  await db
    .insertInto('instance_secrets')
    .values({ name, value: await make(), created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
