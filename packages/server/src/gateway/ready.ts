import { GATEWAY_VERSION, type ReadState, type Ready, type Snowflake } from '@parley/protocol';
import { type Kysely, sql } from 'kysely';
import type { MemberRow, Tables, UserRow } from '../db/tables';
import { type DmMembership, listedDm, privateChannelsOf } from '../features/channels/dms';
import { type ChannelRead, DEFAULT_LARGE_THRESHOLD, type GuildSources, guildView } from '../features/guilds/payloads';
import { toPrivateUser } from '../features/users/serialize';
import { partnerPresences } from '../presence/partners';
import type { IdentifyReads } from './identify-reads';

/** Unread messages are counted up to this many per channel ("999+" is as useful as the exact count). */
const UNREAD_COUNT_CAP = 1000;

export async function guildIdsOf(db: Kysely<Tables>, userId: Snowflake): Promise<Snowflake[]> {
  const rows = await db.selectFrom('members').select('guild_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.guild_id);
}

/** A user's member row and role IDs in each of their guilds. */
export type Memberships = Map<Snowflake, { member: MemberRow; roleIds: Snowflake[] }>;

/** Users' member rows with their roles, for every guild each is in, in one statement (IDENTIFY's guilds, and READY's own members). */
export async function membershipsOfMany(db: Kysely<Tables>, userIds: readonly Snowflake[]): Promise<Map<Snowflake, Memberships>> {
  const rows = await db
    .selectFrom('members')
    .leftJoin('member_roles', (join) => join.onRef('member_roles.guild_id', '=', 'members.guild_id').onRef('member_roles.user_id', '=', 'members.user_id'))
    .selectAll('members')
    .select('member_roles.role_id')
    .where('members.user_id', 'in', userIds)
    .execute();
  const byUser = new Map<Snowflake, Memberships>();
  for (const { role_id, ...member } of rows) {
    let memberships = byUser.get(member.user_id);
    if (!memberships) byUser.set(member.user_id, (memberships = new Map()));
    let held = memberships.get(member.guild_id);
    if (!held) memberships.set(member.guild_id, (held = { member, roleIds: [] }));
    if (role_id !== null) held.roleIds.push(role_id);
  }
  return byUser;
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
async function readStatesOf(db: Kysely<Tables>, userId: Snowflake, reads: readonly ChannelRead[]): Promise<ReadState[]> {
  const states: ReadState[] = [];
  for (const row of reads) {
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
  sources: GuildSources,
  reads: IdentifyReads,
  user: UserRow,
  session: { id: string; resumeUrl: string },
  memberships: Memberships,
  /** What the caller has read already: the user's DMs, DM partners and their guilds' member counts. */
  known: { dms: readonly DmMembership[]; partners: Snowflake[]; memberCounts: ReadonlyMap<Snowflake, number>; largeThreshold?: number },
): Promise<Ready> {
  const { db, presence } = sources;
  const guildIds = [...memberships.keys()];
  if (user.bot === 1) {
    const application = await db.selectFrom('applications').select(['id']).where('bot_user_id', '=', user.id).executeTakeFirst();
    return {
      v: GATEWAY_VERSION,
      user: toPrivateUser(user),
      guilds: guildIds.map((id) => ({ id, unavailable: true as const })),
      private_channels: [],
      read_states: [],
      presences: [],
      blocked_user_ids: [],
      session_id: session.id,
      resume_gateway_url: session.resumeUrl,
      shard: [0, 1],
      ...(application && { application: { id: application.id, flags: 0 } }),
    };
  }
  // Side by side: each guild as this member sees it, with the channels they may read (for their
  // read states), and what is theirs alone.
  const { dms, partners, memberCounts, largeThreshold } = known;
  const [views, privateChannels, blocked, settings, presences] = await Promise.all([
    Promise.all([...memberships].map(([id, { member, roleIds }]) => guildView(sources, id, user.id, { largeThreshold, memberCount: memberCounts.get(id), viewer: { user, member, roleIds } }))),
    privateChannelsOf(db, user.id, { dms, usersByIds: (ids) => reads.usersByIds(ids) }),
    reads.blocked.load(user.id),
    reads.notificationSettings.load(user.id),
    // Guild members' presences come with each guild; DM partners' here (as Discord's READY does).
    partnerPresences(db, presence, user.id, partners),
  ]);
  const channelReads = [...dms.filter(listedDm), ...views.flatMap((v) => v.reads)];
  return {
    v: GATEWAY_VERSION,
    user: toPrivateUser(user),
    guilds: views.map((v) => v.payload),
    private_channels: privateChannels,
    read_states: await readStatesOf(db, user.id, channelReads),
    presences,
    blocked_user_ids: blocked,
    user_guild_settings: { entries: settings, partial: false },
    session_id: session.id,
    resume_gateway_url: session.resumeUrl,
    shard: [0, 1],
  };
}
