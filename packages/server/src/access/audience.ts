import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../bus/event-log';
import type { ChannelRow, Tables } from '../db/tables';
import { isDirect } from './channel-kinds';
import { governingChannel } from './access';

/**
 * Who hears about what happens inside a channel (the gateway delivers to exactly this): a
 * public guild channel's guild; a private channel's members (a thread follows its parent); a
 * DM's recipients, except one who declined it. Same rules as access.ts.
 */
export async function channelAudience(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null): Promise<Audience> {
  const rules = governingChannel(channel, parent);
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

/** Of the given users, those who may read the channel (mentions notify only them). */
export async function readersAmong(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null, userIds: Snowflake[]): Promise<Snowflake[]> {
  if (userIds.length === 0) return [];
  const rules = governingChannel(channel, parent);
  if (isDirect(channel.type) || rules.private === 1) {
    const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', rules.id).where('user_id', 'in', userIds).execute();
    return rows.map((r) => r.user_id);
  }
  const rows = await db.selectFrom('members').select('user_id').where('guild_id', '=', channel.guild_id!).where('user_id', 'in', userIds).execute();
  return rows.map((r) => r.user_id);
}
