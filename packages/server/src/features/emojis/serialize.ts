import type { Emoji, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { EmojiRow, Tables } from '../../db/tables';

export function toEmoji(row: EmojiRow): Emoji {
  return { id: row.id, name: row.name, roles: [], require_colons: true, managed: false, animated: row.animated === 1, available: true, image: row.image };
}

/** A server's custom emoji, oldest first (what guild payloads carry). */
export async function emojisOf(db: Kysely<Tables>, guildId: Snowflake): Promise<Emoji[]> {
  return (await db.selectFrom('emojis').selectAll().where('guild_id', '=', guildId).orderBy('id').execute()).map(toEmoji);
}
