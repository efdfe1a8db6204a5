import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';

/**
 * A named per-instance secret (32 random bytes), created the first time it is asked for and
 * stored in the database: every node of the instance gets the same one, and it survives
 * restarts. When several nodes create it at once, the first insert wins and all read that one.
 */
export async function instanceSecret(db: Kysely<Tables>, name: string, now: number): Promise<Buffer> {
  await db
    .insertInto('instance_secrets')
    .values({ name, value: randomBytes(32).toString('base64url'), created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64url');
}
