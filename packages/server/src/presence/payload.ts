import type { Presence, Snowflake } from '@parley/protocol';

/** A user's presence as PRESENCE_UPDATE and READY/GUILD_CREATE carry it (guild_id only in a guild's). */
export function toPresence(userId: Snowflake, status: Presence['status'], guildId?: Snowflake): Presence {
  return { user: { id: userId }, ...(guildId && { guild_id: guildId }), status, activities: [], client_status: { web: status } };
}
