import { ChannelType, type GuildCreate, Permissions, type Member, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { channelPermissions } from '../../access/access';
import { guildRules } from '../../access/guild-rules';
import type { MemberRow, Tables, UserRow } from '../../db/tables';
import { toPresence } from '../../presence/payload';
import type { PresenceStore } from '../../presence/presence-store';
import { toVoiceState } from '../calls/serialize';
import { toChannel } from '../channels/serialize';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { toGuild, toMember } from './serialize';
import type { GuildReads } from './guild-reads';

/**
 * Discord's `large_threshold` (IDENTIFY, 50–250, default 50): a guild with more members than
 * this is "large", and its GUILD_CREATE carries only the viewer and the members in its voice
 * channels, not the offline crowd; clients page the rest (REST or op 8) when they show a member
 * list. Listing a thousand members cost most of a READY's time and bytes (bench/README.md,
 * "Roles and overwrites"). Its presences are those of the members it carries (bots: every online
 * member); a person's client follows the presences it shows with op 14 (gateway/guild-presences.ts),
 * or a join storm costs every member everyone's presence (bench/README.md, "Issue 17: join storm").
 */
export const DEFAULT_LARGE_THRESHOLD = 50;

/** Members with their user objects and role IDs, in one pass (`known`: user rows and role IDs the caller holds already, not read again). */
export async function loadMembers(
  db: Kysely<Tables>,
  guildId: Snowflake,
  rows: MemberRow[],
  known: { users?: readonly UserRow[]; roleIds?: ReadonlyMap<Snowflake, readonly Snowflake[]> } = {},
): Promise<Member[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.user_id);
  const held = new Map((known.users ?? []).map((u) => [u.id, u]));
  const missing = ids.filter((id) => !held.has(id));
  const rolesMissing = ids.filter((id) => !known.roleIds?.has(id));
  const [users, roleRows] = await Promise.all([
    missing.length ? usersByIds(db, missing).then((read) => new Map([...held, ...read])) : held,
    rolesMissing.length ? db.selectFrom('member_roles').select(['user_id', 'role_id']).where('guild_id', '=', guildId).where('user_id', 'in', rolesMissing).execute() : [],
  ]);
  const rolesOf = new Map<Snowflake, Snowflake[]>();
  for (const [id, roleIds] of known.roleIds ?? []) rolesOf.set(id, [...roleIds]);
  for (const r of roleRows) rolesOf.set(r.user_id, [...(rolesOf.get(r.user_id) ?? []), r.role_id]);
  return rows.flatMap((row) => {
    const user = users.get(row.user_id);
    return user ? [toMember(row, toUser(user), rolesOf.get(row.user_id) ?? [])] : [];
  });
}

/** What a guild's views are read from: the database, who is online, and what this node keeps of each guild. */
export interface GuildSources {
  db: Kysely<Tables>;
  presence: PresenceStore;
  guildReads: GuildReads;
}

/** The viewer's own rows, when the caller has read them already (READY reads them once for all the user's guilds). */
export interface KnownViewer {
  user: UserRow;
  member: MemberRow;
  roleIds: readonly Snowflake[];
}

export interface GuildViewOptions {
  largeThreshold?: number;
  /** A bot's view: every online member's presence, even in a large guild. */
  everyPresence?: boolean;
  /** The guild's member count, when the caller counted already (READY counts all of a user's guilds at once). */
  memberCount?: number;
  viewer?: KnownViewer;
}

/** A channel the viewer may read, with their read position in it (READY's read states). */
export interface ChannelRead {
  id: Snowflake;
  last_message_id: Snowflake | null;
  read_id: Snowflake | null;
}

/**
 * Everything a member's client needs about one guild, as that member sees it: channels (with
 * whether they joined each private one), active threads, the first members and who is online.
 */
export async function guildCreatePayload(sources: GuildSources, guildId: Snowflake, viewerId: Snowflake, options: GuildViewOptions = {}): Promise<GuildCreate> {
  return (await guildView(sources, guildId, viewerId, options)).payload;
}

/**
 * GUILD_CREATE for a member, and the channels whose messages they may read with their read
 * positions (READY's read states need both). When the viewer's rows are known and the guild is in
 * this node's cache, what is left to read is its channels with the viewer's state in them, one
 * statement for every viewer of the guild asking at the same time (guild-reads.ts).
 */
export async function guildView(
  { db, presence, guildReads }: GuildSources,
  guildId: Snowflake,
  viewerId: Snowflake,
  { largeThreshold = DEFAULT_LARGE_THRESHOLD, everyPresence = false, memberCount: knownMemberCount, viewer: known }: GuildViewOptions = {},
): Promise<{ payload: GuildCreate; reads: ChannelRead[] }> {
  // The guild row first: its rules version says whether this node's copy of the rules is current.
  const guild = await guildReads.guild(guildId);
  const [{ roles, overwrites }, channels, memberCount, viewer, voiceStates, emojis] = await Promise.all([
    guildRules(db, guild),
    guildReads.channelsFor(guildId, viewerId),
    // Counted from the primary key's index alone: whether the guild is large.
    knownMemberCount ??
      db
        .selectFrom('members')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('guild_id', '=', guildId)
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n)),
    known?.member ?? db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', viewerId).executeTakeFirstOrThrow(),
    // Server mute and deafen live on the member.
    guildReads.voiceStatesOf(guildId),
    guildReads.emojisOf(guildId),
  ]);
  const joined = new Set(channels.filter((c) => c.joined_by !== null).map((c) => c.id));
  const large = memberCount > largeThreshold;
  const inVoice = [...new Set(voiceStates.map((v) => v.user_id))].filter((id) => id !== viewerId);
  const memberRows = !large
    ? await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).execute()
    : inVoice.length === 0
      ? [viewer]
      : [viewer, ...(await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', 'in', inVoice).execute())];
  const members = await loadMembers(db, guildId, memberRows, known ? { users: [known.user], roleIds: new Map([[viewerId, known.roleIds]]) } : {});
  const presenceOf = large && everyPresence ? (await db.selectFrom('members').select('user_id').where('guild_id', '=', guildId).execute()).map((r) => r.user_id) : memberRows.map((r) => r.user_id);
  const online = await presence.visible(presenceOf);
  const me = { guild, roles, userId: viewerId, roleIds: members.find((m) => m.user.id === viewerId)?.roles ?? [], communicationDisabledUntil: viewer.communication_disabled_until };
  const now = Date.now();
  // As a member of every private channel (what is listed: a private channel's name is public), and as who they are.
  const asMember = channelPermissions(me, channels, overwrites, 'all', now);
  const asThemselves = channels.some((c) => c.private === 1) ? channelPermissions(me, channels, overwrites, joined, now) : asMember;
  const holding = (permissions: Map<Snowflake, bigint>, needed: bigint) => new Set([...permissions].filter(([, held]) => (held & needed) === needed).map(([id]) => id));
  const listedChannels = holding(asMember, Permissions.VIEW_CHANNEL);
  const viewable = holding(asThemselves, Permissions.VIEW_CHANNEL);
  const readable = holding(asThemselves, Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY);
  const payload: GuildCreate = {
    ...toGuild(guild, roles, [...emojis]),
    joined_at: new Date(viewer.joined_at).toISOString(),
    large,
    unavailable: false,
    member_count: memberCount,
    members,
    // Channels their overwrites let them see (a private one's name included); threads are
    // contents of their parent and follow it.
    channels: channels.filter((c) => c.type !== ChannelType.PUBLIC_THREAD && listedChannels.has(c.id)).map((c) => toChannel(c, { joined: joined.has(c.id), overwrites: overwrites.get(c.id) ?? [] })),
    threads: channels.filter((c) => c.type === ChannelType.PUBLIC_THREAD && c.archived === 0 && viewable.has(c.id)).map((c) => toChannel(c)),
    presences: [...online].map(([userId, status]) => toPresence(userId, status)),
    // Who is in a private voice channel is its members' business, like its messages.
    voice_states: voiceStates.filter((v) => viewable.has(v.channel_id)).map((v) => toVoiceState(v, { withGuild: false })),
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
  const reads = channels.filter((c) => readable.has(c.id)).map((c) => ({ id: c.id, last_message_id: c.last_message_id, read_id: c.read_id }));
  return { payload, reads };
}
