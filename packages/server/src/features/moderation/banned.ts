import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';

/** Whether a user is banned from a guild. */
async function isBanned(db: Kysely<Tables>, guildId: Snowflake, userId: Snowflake): Promise<boolean> {
  const row = await db.selectFrom('bans').select('user_id').where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/** Every way into a guild (invites, adding a bot) asks here first: a banned user is told so (40007). */
export async function requireNotBanned(db: Kysely<Tables>, guildId: Snowflake, userId: Snowflake): Promise<void> {
  if (await isBanned(db, guildId, userId)) throw new ApiError('BANNED');
}
