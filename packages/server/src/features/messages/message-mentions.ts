import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelRow, Tables } from '../../db/tables';
import { type AllowedMentions, type Mentions, parseMentions, resolveMentions } from './mentions';

/**
 * What a message's text pings as it is written or edited (a send, an edit, a webhook's message
 * or its edit): the mentions in it, as allowed_mentions and the sender's right to mention
 * everyone let them count, and of its role mentions only those that count here.
 */
export async function mentionsIn(
  db: Kysely<Tables>,
  channel: ChannelRow,
  content: string,
  allowed: AllowedMentions | undefined,
  options: { canMentionEveryone: boolean; repliedUserId: Snowflake | null },
): Promise<Mentions> {
  const mentions = resolveMentions(parseMentions(content), allowed, options);
  return { ...mentions, roles: await countedRoleMentions(db, channel, mentions.roles, options.canMentionEveryone) };
}

/**
 * The role mentions that count: roles of this server that are mentionable, or any of its roles
 * (@everyone aside) when the sender may mention everyone, as in Discord. Their members are
 * notified by their clients (message.mention_roles) and in READY's mention counts.
 */
async function countedRoleMentions(db: Kysely<Tables>, channel: ChannelRow, roleIds: Snowflake[], canMentionEveryone: boolean): Promise<Snowflake[]> {
  if (roleIds.length === 0 || !channel.guild_id) return [];
  let roles = db.selectFrom('roles').select('id').where('guild_id', '=', channel.guild_id).where('id', 'in', roleIds).where('id', '!=', channel.guild_id);
  if (!canMentionEveryone) roles = roles.where('mentionable', '=', 1);
  const counted = new Set((await roles.execute()).map((r) => r.id));
  return roleIds.filter((id) => counted.has(id));
}
