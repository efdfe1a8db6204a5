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
import { emojisOf } from '../emojis/serialize';

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

/** Members with their user objects and role IDs, in one pass (`known`: user rows the caller holds already, not read again). */
export async function loadMembers(db: Kysely<Tables>, guildId: Snowflake, rows: MemberRow[], known: readonly UserRow[] = []): Promise<Member[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.user_id);
  const held = new Map(known.map((u) => [u.id, u]));
  const missing = ids.filter((id) => !held.has(id));
  const [users, roleRows] = await Promise.all([
    missing.length ? usersByIds(db, missing).then((read) => new Map([...held, ...read])) : held,
    db.selectFrom('member_roles').select(['user_id', 'role_id']).where('guild_id', '=', guildId).where('user_id', 'in', ids).execute(),
  ]);
  const rolesOf = new Map<Snowflake, string[]>();
  for (const r of roleRows) rolesOf.set(r.user_id, [...(rolesOf.get(r.user_id) ?? []), r.role_id]);
  return rows.flatMap((row) => {
    const user = users.get(row.user_id);
    return user ? [toMember(row, toUser(user), rolesOf.get(row.user_id) ?? [])] : [];
  });
}

/**
 * Everything a member's client needs about one guild, as that member sees it: channels (with
 * whether they joined each private one), active threads, the first members and who is online.
 */
export async function guildCreatePayload(
  db: Kysely<Tables>,
  presence: PresenceStore,
  guildId: Snowflake,
  viewerId: Snowflake,
  largeThreshold = DEFAULT_LARGE_THRESHOLD,
  everyPresence = false,
): Promise<GuildCreate> {
  return (await guildView(db, presence, guildId, viewerId, largeThreshold, everyPresence)).payload;
}

/** GUILD_CREATE for a member, and the channels whose messages they may read (READY's read states need both). */
export async function guildView(
  db: Kysely<Tables>,
  presence: PresenceStore,
  guildId: Snowflake,
  viewerId: Snowflake,
  largeThreshold = DEFAULT_LARGE_THRESHOLD,
  /** A bot's view: every online member's presence, even in a large guild. */
  everyPresence = false,
  /** The guild's member count, when the caller counted already (READY counts all of a user's guilds at once). */
  knownMemberCount?: number,
  /** The viewer's user row, when the caller holds it (READY: the identifying user). */
  viewerUser?: UserRow,
): Promise<{ payload: GuildCreate; readable: Set<Snowflake> }> {
  // The guild row first: its rules version says whether this node's copy of the rules is current.
  const guild = await db.selectFrom('guilds').selectAll().where('id', '=', guildId).executeTakeFirstOrThrow();
  const [{ roles, overwrites }, channels, memberCount, viewer, joinedPrivate, voiceStates, emojis] = await Promise.all([
    guildRules(db, guild),
    db.selectFrom('channels').selectAll().where('guild_id', '=', guildId).orderBy('position').orderBy('id').execute(),
    // Counted from the primary key's index alone: whether the guild is large.
    knownMemberCount ??
      db
        .selectFrom('members')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('guild_id', '=', guildId)
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n)),
    db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', viewerId).executeTakeFirstOrThrow(),
    db
      .selectFrom('channel_members')
      .innerJoin('channels', 'channels.id', 'channel_members.channel_id')
      .select('channel_members.channel_id')
      .where('channels.guild_id', '=', guildId)
      .where('channel_members.user_id', '=', viewerId)
      .execute(),
    // Server mute and deafen live on the member.
    db
      .selectFrom('voice_states')
      .leftJoin('members', (join) => join.onRef('members.guild_id', '=', 'voice_states.guild_id').onRef('members.user_id', '=', 'voice_states.user_id'))
      .selectAll('voice_states')
      .select(['members.mute', 'members.deaf'])
      .where('voice_states.guild_id', '=', guildId)
      .execute(),
    emojisOf(db, guildId),
  ]);
  const joined = new Set(joinedPrivate.map((r) => r.channel_id));
  const large = memberCount > largeThreshold;
  const inVoice = [...new Set(voiceStates.map((v) => v.user_id))].filter((id) => id !== viewerId);
  const memberRows = !large
    ? await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).execute()
    : inVoice.length === 0
      ? [viewer]
      : [viewer, ...(await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', 'in', inVoice).execute())];
  const members = await loadMembers(db, guildId, memberRows, viewerUser ? [viewerUser] : []);
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
    ...toGuild(guild, roles, emojis),
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
  return { payload, readable };
}
