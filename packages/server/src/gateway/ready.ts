import { GATEWAY_VERSION, type ReadState, type Ready, type Snowflake } from '@parley/protocol';
import { type Kysely, sql } from 'kysely';
import type { Tables, UserRow } from '../db/tables';
import { privateChannelsOf } from '../features/channels/dms';
import { DEFAULT_LARGE_THRESHOLD, guildView } from '../features/guilds/payloads';
import { userGuildSettingsOf } from '../features/notifications/settings';
import { toPrivateUser } from '../features/users/serialize';
import { partnerPresences } from '../presence/partners';
import type { PresenceStore } from '../presence/presence-store';

/** Unread messages are counted up to this many per channel ("999+" is as useful as the exact count). */
const UNREAD_COUNT_CAP = 1000;

export async function guildIdsOf(db: Kysely<Tables>, userId: Snowflake): Promise<Snowflake[]> {
  const rows = await db.selectFrom('members').select('guild_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.guild_id);
}

/** How many members each of these guilds has (what makes one large, and GUILD_CREATE's member_count). */
async function memberCountsOf(db: Kysely<Tables>, guildIds: readonly Snowflake[]): Promise<Map<Snowflake, number>> {
  if (guildIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('members')
    .select(['guild_id', (eb) => eb.fn.countAll().as('n')])
    .where('guild_id', 'in', guildIds)
    .groupBy('guild_id')
    .execute();
  return new Map(rows.map((r) => [r.guild_id, Number(r.n)]));
}

/**
 * Member counts per guild on this node, read once and kept until a member joins or leaves (the
 * log's GUILD_MEMBER_ADD / GUILD_MEMBER_REMOVE, which every node reads: `changed`). In a join
 * storm every identify needs its guilds' counts; counting a 2,000-member guild each time was
 * a tenth of an identify's CPU.
 */
export class MemberCounts {
  private readonly counts = new Map<Snowflake, number>();
  /** Moves on every change: a count read across one is answered but not kept. */
  private version = 0;

  async of(db: Kysely<Tables>, guildIds: readonly Snowflake[]): Promise<Map<Snowflake, number>> {
    const missing = guildIds.filter((id) => !this.counts.has(id));
    if (missing.length > 0) {
      const version = this.version;
      const read = await memberCountsOf(db, missing);
      if (version === this.version) {
        if (this.counts.size > 10_000) this.counts.clear();
        for (const [id, n] of read) this.counts.set(id, n);
      }
      return new Map(guildIds.map((id) => [id, this.counts.get(id) ?? read.get(id) ?? 0]));
    }
    return new Map(guildIds.map((id) => [id, this.counts.get(id)!]));
  }

  changed(guildId: Snowflake): void {
    this.version++;
    this.counts.delete(guildId);
  }
}

/**
 * The guilds with more members than the session's large_threshold: there it hears only the
 * presences it follows (op 14), not every member's (gateway/guild-presences.ts).
 */
export function largeGuilds(memberCounts: ReadonlyMap<Snowflake, number>, largeThreshold = DEFAULT_LARGE_THRESHOLD): Set<Snowflake> {
  return new Set([...memberCounts].filter(([, n]) => n > largeThreshold).map(([id]) => id));
}

export async function largeGuildsOf(db: Kysely<Tables>, guildIds: readonly Snowflake[], largeThreshold = DEFAULT_LARGE_THRESHOLD): Promise<Set<Snowflake>> {
  return largeGuilds(await memberCountsOf(db, guildIds), largeThreshold);
}

/**
 * Read position, unread and mention counts for each channel with anything unread, across the
 * user's guilds and DMs (channels with nothing unread and no read state are left out).
 */
async function readStatesOf(db: Kysely<Tables>, userId: Snowflake, channelIds: readonly Snowflake[]): Promise<ReadState[]> {
  if (channelIds.length === 0) return [];
  const rows = await db
    .selectFrom('channels')
    .leftJoin('read_states', (join) => join.onRef('read_states.channel_id', '=', 'channels.id').on('read_states.user_id', '=', userId))
    .select(['channels.id', 'channels.last_message_id', 'read_states.last_message_id as read_id'])
    .where('channels.id', 'in', channelIds)
    .execute();
  const states: ReadState[] = [];
  for (const row of rows) {
    const readId = row.read_id ?? '0';
    const hasUnread = row.last_message_id !== null && BigInt(row.last_message_id) > BigInt(readId);
    if (!hasUnread && row.read_id === null) continue;
    let unread = 0;
    let mentions = 0;
    if (hasUnread) {
      const counts = await sql<{ unread: number; mentions: number }>`
        select
          (select count(*) from (select 1 from messages where channel_id = ${row.id} and id > ${readId} limit ${UNREAD_COUNT_CAP}) u) as unread,
          (select count(*) from message_mentions where user_id = ${userId} and channel_id = ${row.id} and message_id > ${readId})
          + (select count(*) from messages where channel_id = ${row.id} and id > ${readId} and author_id != ${userId} and (mention_everyone = 1 or exists (
              select 1 from member_roles where member_roles.user_id = ${userId} and member_roles.guild_id = messages.guild_id
              and messages.mention_roles like '%"' || cast(member_roles.role_id as text) || '"%'))) as mentions`.execute(db);
      unread = Number(counts.rows[0]?.unread ?? 0);
      mentions = Number(counts.rows[0]?.mentions ?? 0);
    }
    states.push({ id: row.id, last_message_id: row.read_id, unread_count: unread, mention_count: mentions });
  }
  return states;
}

/**
 * READY for a new session. People get their guilds in full; bots get them as unavailable,
 * each followed by its own GUILD_CREATE (what Discord does, and what bot libraries wait for).
 */
export async function buildReady(
  db: Kysely<Tables>,
  presence: PresenceStore,
  user: UserRow,
  session: { id: string; resumeUrl: string },
  guildIds: readonly Snowflake[],
  largeThreshold?: number,
  /** The user's DM partners and their guilds' member counts, when the caller has read them already. */
  partners?: Snowflake[],
  memberCounts?: ReadonlyMap<Snowflake, number>,
): Promise<Ready> {
  const bot = user.bot === 1;
  // Each guild as this member sees it, with the channels they may read (for their read states).
  const views = bot ? [] : await Promise.all(guildIds.map((id) => guildView(db, presence, id, user.id, largeThreshold, false, memberCounts?.get(id), user)));
  const guilds = bot ? guildIds.map((id) => ({ id, unavailable: true as const })) : views.map((v) => v.payload);
  const privateChannels = bot ? [] : await privateChannelsOf(db, user.id);
  const visibleChannelIds = [...privateChannels.map((c) => c.id), ...views.flatMap((v) => [...v.readable])];
  const blocked = bot ? [] : await db.selectFrom('relationships').select('other_id').where('user_id', '=', user.id).where('type', '=', 2).execute();
  const application = bot ? await db.selectFrom('applications').select(['id']).where('bot_user_id', '=', user.id).executeTakeFirst() : undefined;
  return {
    v: GATEWAY_VERSION,
    user: toPrivateUser(user),
    guilds,
    private_channels: privateChannels,
    read_states: bot ? [] : await readStatesOf(db, user.id, visibleChannelIds),
    // Guild members' presences come with each guild; DM partners' here (as Discord's READY does).
    presences: bot ? [] : await partnerPresences(db, presence, user.id, partners),
    blocked_user_ids: blocked.map((b) => b.other_id),
    ...(!bot && { user_guild_settings: { entries: await userGuildSettingsOf(db, user.id), partial: false } }),
    session_id: session.id,
    resume_gateway_url: session.resumeUrl,
    shard: [0, 1],
    ...(application && { application: { id: application.id, flags: 0 } }),
  };
}
