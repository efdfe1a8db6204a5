import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../../bus/event-log';
import type { ChannelRow, Tables } from '../../db/tables';
import { isDirect } from '../guilds/permissions';

/**
 * Who hears about what happens inside a channel: a public guild channel's guild; a private
 * channel's members (a thread follows its parent); a DM's recipients, except one who declined it.
 */
export async function channelAudience(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null): Promise<Audience> {
  const rules = parent ?? channel;
  if (isDirect(channel.type)) {
    const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('state', '!=', 'declined').execute();
    return { users: rows.map((r) => r.user_id) };
  }
  if (rules.private === 1) return { users: await channelMemberIds(db, rules.id) };
  return { guilds: [channel.guild_id!] };
}

export async function channelMemberIds(db: Kysely<Tables>, channelId: Snowflake): Promise<Snowflake[]> {
  const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channelId).execute();
  return rows.map((r) => r.user_id);
}
