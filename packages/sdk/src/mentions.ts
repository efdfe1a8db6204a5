import type { Message, Snowflake } from '@parley/protocol';
import type { Known } from './permissions';

/**
 * Whether a message names someone: directly, with @everyone/@here, or through one of their
 * roles. The server lists in `mention_roles` only the roles whose mention counts (mentionable,
 * or the sender may mention everyone), so holding one is enough.
 */
export function mentionsUser(message: Pick<Message, 'mention_everyone' | 'mentions' | 'mention_roles'>, userId: Snowflake, roleIds: ReadonlySet<Snowflake> | readonly Snowflake[]): boolean {
  const held = new Set(roleIds);
  return message.mention_everyone || message.mentions.some((u) => u.id === userId) || message.mention_roles.some((id) => held.has(id));
}

/** Whether a message names the signed-in user, their roles in its server from the cache. */
export function mentionsMe(cache: Known, message: Pick<Message, 'mention_everyone' | 'mentions' | 'mention_roles' | 'channel_id' | 'guild_id'>): boolean {
  const me = cache.user;
  if (!me) return false;
  const guildId = message.guild_id ?? cache.channels.get(message.channel_id)?.guild_id;
  const roles = guildId ? (cache.members.get(guildId)?.get(me.id)?.roles ?? []) : [];
  return mentionsUser(message, me.id, roles);
}
