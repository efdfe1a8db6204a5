import { type ReactionEmoji, type Snowflake, parseCustomEmojiKey } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelAccess } from '../../access/access';
import type { Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';

/*
 * How reactions name their emoji. A Unicode emoji (or a sealed one in an encrypted conversation)
 * is stored as it is. A server's custom emoji arrives as `name:id` and is stored as `:id` (its
 * name may change; its ID does not); it must be one of the channel's server's own emoji.
 */

const CUSTOM_PREFIX = ':';

/** The stored key of a reaction and the emoji it shows as; an unknown custom emoji is 10014. */
export async function reactionKeyFor(db: Kysely<Tables>, access: ChannelAccess, emoji: string): Promise<{ key: string; emoji: ReactionEmoji }> {
  const custom = parseCustomEmojiKey(emoji);
  if (!custom) return { key: emoji, emoji: { id: null, name: emoji } };
  const guildId = access.channel.guild_id;
  const row = guildId ? await db.selectFrom('emojis').select(['id', 'name', 'animated']).where('id', '=', custom.id).where('guild_id', '=', guildId).executeTakeFirst() : undefined;
  if (!row) throw new ApiError('UNKNOWN_EMOJI', { message: "Unknown emoji: custom emoji must be one of this server's" });
  return { key: `${CUSTOM_PREFIX}${row.id}`, emoji: { id: row.id, name: row.name, animated: row.animated === 1 } };
}

/** How stored keys show: custom ones by their emoji's current name (one query for all). */
export async function reactionEmojis(db: Kysely<Tables>, keys: readonly string[]): Promise<(key: string) => ReactionEmoji> {
  const ids = [...new Set(keys.filter((k) => k.startsWith(CUSTOM_PREFIX)).map((k) => k.slice(1) as Snowflake))];
  const rows = ids.length ? await db.selectFrom('emojis').select(['id', 'name', 'animated']).where('id', 'in', ids).execute() : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return (key) => {
    if (!key.startsWith(CUSTOM_PREFIX)) return { id: null, name: key };
    const id = key.slice(1) as Snowflake;
    const row = byId.get(id);
    return { id, name: row?.name ?? 'deleted_emoji', animated: row?.animated === 1 };
  };
}

/** The stored key of a custom emoji, for deleting its reactions with it. */
export const customReactionKey = (emojiId: Snowflake) => `${CUSTOM_PREFIX}${emojiId}`;
