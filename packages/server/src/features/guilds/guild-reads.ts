import type { Emoji, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Caches, ReadCache } from '../../cache/caches';
import { BatchedRead } from '../../db/batched-read';
import type { ChannelRow, GuildRow, Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';
import type { VoiceStateWithFlags } from '../calls/serialize';
import { emojisOf } from '../emojis/serialize';

/** A guild channel as one member sees it: their read position in it, and whether they joined it (a private one). */
export type ViewerChannel = ChannelRow & { read_id: Snowflake | null; joined_by: Snowflake | null };

/**
 * What the members' views of a guild read (READY, GUILD_CREATE). What they all share is kept per
 * node: the guild row, its custom emoji, who is in its voice channels; each cache empties on every
 * node when its tables are written (cache/bus.ts), and a reader has awaited `cacheBus.current()`
 * (its authentication does) or caught up to its log cursor first. Each member's channels are read
 * for many members of a guild at once (db/batched-read.ts). In a join storm into one server these
 * were four of an identify's fifteen statements on PostgreSQL (bench/README.md, "Issue 17, fourth
 * pass").
 *
 * The channels are not cached: a send moves a channel's last_message_id without telling the
 * caches, and each viewer reads them joined with their own state anyway.
 */
export class GuildReads {
  private readonly guilds: ReadCache<Snowflake, GuildRow>;
  private readonly emojis: ReadCache<Snowflake, readonly Emoji[]>;
  /** With the members' server mute and deafen. A call's heartbeat (voice_states.seen_at) tells no cache: it is not kept here. */
  private readonly voice: ReadCache<Snowflake, readonly VoiceStateWithFlags[]>;
  /** By `guildId:viewerId`. */
  private readonly viewerChannels: BatchedRead<string, ViewerChannel[]>;

  constructor(
    caches: Caches,
    private readonly db: Kysely<Tables>,
  ) {
    this.guilds = caches.create(['guilds'], { max: 5_000 });
    this.emojis = caches.create(['emojis'], { max: 5_000 });
    this.voice = caches.create(['voice_states', 'members'], { max: 5_000 });
    this.viewerChannels = new BatchedRead(
      (keys) => this.readViewerChannels(keys),
      () => [],
    );
  }

  /** The guild's row (its rules_version says whether access/guild-rules.ts holds its current rules). */
  async guild(guildId: Snowflake): Promise<GuildRow> {
    const row = await this.guilds.load(guildId, async () => Object.freeze(await this.db.selectFrom('guilds').selectAll().where('id', '=', guildId).executeTakeFirst()));
    if (!row) throw new ApiError('UNKNOWN_GUILD');
    return row;
  }

  emojisOf(guildId: Snowflake): Promise<readonly Emoji[]> {
    return this.emojis.load(guildId, async () => Object.freeze(await emojisOf(this.db, guildId)));
  }

  voiceStatesOf(guildId: Snowflake): Promise<readonly VoiceStateWithFlags[]> {
    return this.voice.load(guildId, async () =>
      Object.freeze(
        await this.db
          .selectFrom('voice_states')
          .leftJoin('members', (join) => join.onRef('members.guild_id', '=', 'voice_states.guild_id').onRef('members.user_id', '=', 'voice_states.user_id'))
          .selectAll('voice_states')
          .select(['members.mute', 'members.deaf'])
          .where('voice_states.guild_id', '=', guildId)
          .execute(),
      ),
    );
  }

  /** The guild's channels in order, each with the viewer's read state and private membership (none if they are not a member). */
  channelsFor(guildId: Snowflake, viewerId: Snowflake): Promise<ViewerChannel[]> {
    return this.viewerChannels.load(`${guildId}:${viewerId}`);
  }

  /** One statement per guild, for all the viewers asking: the channels once per member among them. */
  private async readViewerChannels(keys: string[]): Promise<Map<string, ViewerChannel[]>> {
    const viewersByGuild = new Map<Snowflake, Snowflake[]>();
    for (const key of keys) {
      const [guildId, viewerId] = key.split(':') as [Snowflake, Snowflake];
      viewersByGuild.set(guildId, [...(viewersByGuild.get(guildId) ?? []), viewerId]);
    }
    const found = new Map<string, ViewerChannel[]>();
    await Promise.all(
      [...viewersByGuild].map(async ([guildId, viewerIds]) => {
        const rows = await this.db
          .selectFrom('channels')
          .innerJoin('members', (join) => join.onRef('members.guild_id', '=', 'channels.guild_id').on('members.user_id', 'in', viewerIds))
          .leftJoin('read_states', (join) => join.onRef('read_states.channel_id', '=', 'channels.id').onRef('read_states.user_id', '=', 'members.user_id'))
          .leftJoin('channel_members', (join) => join.onRef('channel_members.channel_id', '=', 'channels.id').onRef('channel_members.user_id', '=', 'members.user_id'))
          .selectAll('channels')
          .select(['members.user_id as viewer_id', 'read_states.last_message_id as read_id', 'channel_members.user_id as joined_by'])
          .where('channels.guild_id', '=', guildId)
          .orderBy('channels.position')
          .orderBy('channels.id')
          .execute();
        for (const { viewer_id, ...row } of rows) {
          const key = `${guildId}:${viewer_id}`;
          const list = found.get(key);
          if (list) list.push(row);
          else found.set(key, [row]);
        }
      }),
    );
    return found;
  }
}
