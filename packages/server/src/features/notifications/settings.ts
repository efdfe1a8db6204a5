import { MessageNotificationLevel, type Snowflake, type UserGuildSettings } from '@parley/protocol';
import { type Kysely, sql } from 'kysely';
import type { Tables } from '../../db/tables';

/** What a server notifies about when its member never said otherwise (guilds' `default_message_notifications`). */
const DEFAULT_GUILD_LEVEL = MessageNotificationLevel.ONLY_MENTIONS;

type GuildLevel = UserGuildSettings['message_notifications'];
type ChannelLevel = UserGuildSettings['channel_overrides'][number]['message_notifications'];

/**
 * Users' notification settings for the given servers (all they are in when none are given), only
 * for servers where they changed something (the others are the default), in one statement: READY's
 * for every identify under way at once.
 */
export async function userGuildSettingsOfMany(db: Kysely<Tables>, userIds: readonly Snowflake[], guildIds?: readonly Snowflake[]): Promise<Map<Snowflake, UserGuildSettings[]>> {
  // A server's own setting is a row with no channel: both kinds come back in one statement.
  let guildRows = db
    .selectFrom('guild_notification_settings')
    .innerJoin('members', (join) => join.onRef('members.guild_id', '=', 'guild_notification_settings.guild_id').onRef('members.user_id', '=', 'guild_notification_settings.user_id'))
    .select([
      'guild_notification_settings.user_id',
      'guild_notification_settings.guild_id',
      sql<Snowflake | null>`null`.as('channel_id'),
      'guild_notification_settings.message_notifications',
      'guild_notification_settings.muted',
    ])
    .where('guild_notification_settings.user_id', 'in', userIds);
  let channelRows = db
    .selectFrom('channel_notification_settings')
    .innerJoin('members', (join) => join.onRef('members.guild_id', '=', 'channel_notification_settings.guild_id').onRef('members.user_id', '=', 'channel_notification_settings.user_id'))
    .select([
      'channel_notification_settings.user_id',
      'channel_notification_settings.guild_id',
      'channel_notification_settings.channel_id',
      'channel_notification_settings.message_notifications',
      'channel_notification_settings.muted',
    ])
    .where('channel_notification_settings.user_id', 'in', userIds);
  if (guildIds) {
    guildRows = guildRows.where('guild_notification_settings.guild_id', 'in', guildIds);
    channelRows = channelRows.where('channel_notification_settings.guild_id', 'in', guildIds);
  }
  const rows: { user_id: Snowflake; guild_id: Snowflake; channel_id: Snowflake | null; message_notifications: number; muted: number }[] = await guildRows.unionAll(channelRows).execute();

  const byUser = new Map<Snowflake, Map<Snowflake, UserGuildSettings>>();
  const entry = (userId: Snowflake, guildId: Snowflake) => {
    let byGuild = byUser.get(userId);
    if (!byGuild) byUser.set(userId, (byGuild = new Map()));
    let settings = byGuild.get(guildId);
    if (!settings) byGuild.set(guildId, (settings = { guild_id: guildId, message_notifications: DEFAULT_GUILD_LEVEL, muted: false, channel_overrides: [] }));
    return settings;
  };
  const byChannel = (a: { channel_id: Snowflake | null }, b: { channel_id: Snowflake | null }) => (BigInt(a.channel_id ?? 0) < BigInt(b.channel_id ?? 0) ? -1 : 1);
  for (const row of rows.sort(byChannel)) {
    if (row.channel_id === null) Object.assign(entry(row.user_id, row.guild_id), { message_notifications: row.message_notifications as GuildLevel, muted: row.muted === 1 });
    else entry(row.user_id, row.guild_id).channel_overrides.push({ channel_id: row.channel_id, message_notifications: row.message_notifications as ChannelLevel, muted: row.muted === 1 });
  }
  const byGuildId = (a: UserGuildSettings, b: UserGuildSettings) => (BigInt(a.guild_id) < BigInt(b.guild_id) ? -1 : 1);
  return new Map([...byUser].map(([userId, byGuild]) => [userId, [...byGuild.values()].sort(byGuildId)]));
}

/** One server's settings for a user, the default when they never changed any. */
export async function guildSettingsOf(db: Kysely<Tables>, userId: Snowflake, guildId: Snowflake): Promise<UserGuildSettings> {
  const [settings] = (await userGuildSettingsOfMany(db, [userId], [guildId])).get(userId) ?? [];
  return settings ?? { guild_id: guildId, message_notifications: DEFAULT_GUILD_LEVEL, muted: false, channel_overrides: [] };
}
