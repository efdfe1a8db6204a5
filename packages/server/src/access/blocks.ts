import { RelationshipType, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables';

/** Whether either user blocked the other: a block stops DMs, calls and file offers both ways. */
export async function blockedEitherWay(db: Kysely<Tables>, a: Snowflake, b: Snowflake): Promise<boolean> {
  const row = await db
    .selectFrom('relationships')
    .select('user_id')
    .where('type', '=', RelationshipType.BLOCKED)
    .where((eb) => eb.or([eb.and([eb('user_id', '=', a), eb('other_id', '=', b)]), eb.and([eb('user_id', '=', b), eb('other_id', '=', a)])]))
    .executeTakeFirst();
  return row !== undefined;
}
