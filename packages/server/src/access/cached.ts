import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../bus/event-log';
import type { Caches, ReadCache } from '../cache/caches';
import type { ChannelRow, Tables } from '../db/tables';
import { ApiError } from '../http/errors';
import { type ChannelAccess, type ChannelStanding, channelAccess, decideChannelAccess, loadChannelStanding } from './access';
import { channelAudience } from './audience';
import { isDirect } from './channel-kinds';

/**
 * Every table a guild channel's access or audience is read from. A write to any of them empties
 * these caches on every node (cache/bus.ts); deletes that cascade are covered by their parent
 * table being listed (a guild, a channel, a user, a role).
 */
const ACCESS_TABLES = ['channels', 'guilds', 'members', 'users', 'member_roles', 'roles', 'permission_overwrites', 'channel_members'];

/**
 * The access policy's inputs kept in memory per node, for the hottest path: sending a message.
 * Only the rows are cached; what they allow is decided on each request by access.ts (a timeout
 * ends with time), exactly as for an uncached read. DMs are read afresh: their state moves with
 * their messages.
 *
 * A channel row here may be behind on what a send writes without telling the caches
 * (last_message_id, a thread's message_count): callers that show those read the row themselves.
 */
export class AccessCache {
  private readonly channels: ReadCache<Snowflake, ChannelRow>;
  private readonly standings: ReadCache<string, ChannelStanding>;
  private readonly audiences: ReadCache<Snowflake, Audience>;

  constructor(caches: Caches) {
    this.channels = caches.create(ACCESS_TABLES, { max: 10_000 });
    this.standings = caches.create(ACCESS_TABLES, { max: 20_000 });
    this.audiences = caches.create(ACCESS_TABLES, { max: 10_000 });
  }

  /** channelAccess, from cached rows for guild channels. */
  async channelAccess(db: Kysely<Tables>, channelId: Snowflake, userId: Snowflake, now = Date.now()): Promise<ChannelAccess> {
    const channel = await this.channels.load(channelId, async () => frozen(await db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst()));
    if (!channel) throw new ApiError('UNKNOWN_CHANNEL');
    if (isDirect(channel.type)) return channelAccess(db, channelId, userId, now);
    const standing = await this.standings.load(`${channelId}:${userId}`, async () => freezeStanding(await loadChannelStanding(db, channel, userId)));
    return decideChannelAccess(standing, now);
  }

  /** channelAudience, cached for guild channels (who may view one changes only with the tables above). */
  async channelAudience(db: Kysely<Tables>, access: ChannelAccess): Promise<Audience> {
    const { channel, parent } = access;
    if (isDirect(channel.type)) return channelAudience(db, channel, parent, access);
    return this.audiences.load(channel.id, async () => frozen(await channelAudience(db, channel, parent, access)));
  }
}

/** Shared by every request from now on: frozen, so code that modifies one fails loudly instead of changing others' answers. */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) if (Array.isArray(inner)) Object.freeze(inner);
    Object.freeze(value);
  }
  return value;
}

function freezeStanding(standing: ChannelStanding): ChannelStanding {
  const { channel, parent, standing: member, overwrites } = standing;
  for (const row of [channel, parent, member.guild, member.member, ...member.roles, ...overwrites]) frozen(row);
  frozen(member);
  return frozen(standing);
}
