import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelRow, Tables } from '../../db/tables';

/**
 * The role mentions that count: roles of this server that are mentionable, or any of its roles
 * (@everyone aside) when the sender may mention everyone, as in Discord. Their members are
 * notified by their clients (message.mention_roles) and in READY's mention counts.
 */
export async function countedRoleMentions(db: Kysely<Tables>, channel: ChannelRow, roleIds: Snowflake[], canMentionEveryone: boolean): Promise<Snowflake[]> {
  if (roleIds.length === 0 || !channel.guild_id) return [];
  let roles = db.selectFrom('roles').select('id').where('guild_id', '=', channel.guild_id).where('id', 'in', roleIds).where('id', '!=', channel.guild_id);
  if (!canMentionEveryone) roles = roles.where('mentionable', '=', 1);
  const counted = new Set((await roles.execute()).map((r) => r.id));
  return roleIds.filter((id) => counted.has(id));
}
