import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../bus/event-log';
import type { Caches, ReadCache } from '../cache/caches';
import type { ChannelRow, Tables } from '../db/tables';
import { ApiError } from '../http/errors';
import { blockedEitherWay } from './blocks';
import { type ChannelAccess, type ChannelStanding, type DmMembers, decideChannelAccess, decideDmAccess, loadChannelStanding, loadDmMembers } from './access';
import { type AudienceHints, channelAudience } from './audience';
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
 * ends with time), exactly as for an uncached read. A DM's members and their states are kept
 * like a guild channel's standing: a send that changes a state (a closed DM reopening, a request
 * answered) reports it, which empties these caches on every node.
 *
 * A channel row here may be behind on what a send writes without telling the caches
 * (last_message_id, a thread's message_count): callers that show those read the row themselves.
 */
export class AccessCache {
  private readonly channels: ReadCache<Snowflake, ChannelRow>;
  private readonly standings: ReadCache<string, ChannelStanding>;
  private readonly dmMembers: ReadCache<Snowflake, DmMembers>;
  private readonly audiences: ReadCache<Snowflake, Audience>;
  /** Whether either of two people blocked the other, by `a:b` (a < b): asked on every DM send. */
  private readonly blocks: ReadCache<string, boolean>;

  constructor(caches: Caches) {
    this.channels = caches.create(ACCESS_TABLES, { max: 10_000 });
    this.standings = caches.create(ACCESS_TABLES, { max: 20_000 });
    this.dmMembers = caches.create(ACCESS_TABLES, { max: 20_000 });
    this.audiences = caches.create(ACCESS_TABLES, { max: 10_000 });
    this.blocks = caches.create(['relationships', 'users'], { max: 20_000 });
  }

  /** A channel's row (see above for what it may be behind on); undefined when there is none. */
  channel(db: Kysely<Tables>, channelId: Snowflake): Promise<ChannelRow | undefined> {
    return this.channels.load(channelId, async () => frozen(await db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst()));
  }

  /** channelAccess, from cached rows. */
  async channelAccess(db: Kysely<Tables>, channelId: Snowflake, userId: Snowflake, now = Date.now()): Promise<ChannelAccess> {
    const channel = await this.channel(db, channelId);
    if (!channel) throw new ApiError('UNKNOWN_CHANNEL');
    if (isDirect(channel.type)) return decideDmAccess(channel, await this.dmMembers.load(channelId, async () => frozenRows(await loadDmMembers(db, channelId))), userId);
    const standing = await this.standings.load(`${channelId}:${userId}`, async () => freezeStanding(await loadChannelStanding(db, channel, userId)));
    return decideChannelAccess(standing, now);
  }

  /** channelAudience, cached for guild channels (who may view one changes only with the tables above); a DM's is its cached members'. */
  async channelAudience(db: Kysely<Tables>, access: Pick<ChannelAccess, 'channel' | 'parent'> & AudienceHints): Promise<Audience> {
    const { channel, parent } = access;
    if (isDirect(channel.type)) return channelAudience(db, channel, parent, access);
    return this.audiences.load(channel.id, async () => frozen(await channelAudience(db, channel, parent, access)));
  }

  /** Drops this node's copy of a channel row: a send found it behind on what it needs (a DM's first message is told by last_message_id). */
  forgetChannel(channelId: Snowflake): void {
    this.channels.delete(channelId);
  }

  /** blockedEitherWay, cached. */
  blockedEitherWay(db: Kysely<Tables>, a: Snowflake, b: Snowflake): Promise<boolean> {
    const key = BigInt(a) < BigInt(b) ? `${a}:${b}` : `${b}:${a}`;
    return this.blocks.load(key, () => blockedEitherWay(db, a, b));
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

function frozenRows<T extends object>(rows: readonly T[]): readonly T[] {
  for (const row of rows) Object.freeze(row);
  return Object.freeze(rows);
}

function freezeStanding(standing: ChannelStanding): ChannelStanding {
  const { channel, parent, standing: member, overwrites } = standing;
  for (const row of [channel, parent, member.guild, member.member, ...member.roles, ...overwrites]) frozen(row);
  frozen(member);
  return frozen(standing);
}
