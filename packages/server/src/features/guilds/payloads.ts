import { ChannelType, type GuildCreate, Permissions, type Member, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { channelsAllowing, guildOverwrites } from '../../access/access';
import type { MemberRow, Tables } from '../../db/tables';
import { toPresence } from '../../presence/payload';
import type { PresenceStore } from '../../presence/presence-store';
import { toVoiceState } from '../calls/serialize';
import { toChannel } from '../channels/serialize';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { toGuild, toMember } from './serialize';

/** GUILD_CREATE carries at most this many members; clients page the rest (REST or op 8). */
const MEMBERS_IN_GUILD_CREATE = 250;

/** Members with their user objects and role IDs, in one pass. */
export async function loadMembers(db: Kysely<Tables>, guildId: Snowflake, rows: MemberRow[]): Promise<Member[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.user_id);
  const [users, roleRows] = await Promise.all([
    usersByIds(db, ids),
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
export async function guildCreatePayload(db: Kysely<Tables>, presence: PresenceStore, guildId: Snowflake, viewerId: Snowflake): Promise<GuildCreate> {
  return (await guildView(db, presence, guildId, viewerId)).payload;
}

/** GUILD_CREATE for a member, and the channels whose messages they may read (READY's read states need both). */
export async function guildView(db: Kysely<Tables>, presence: PresenceStore, guildId: Snowflake, viewerId: Snowflake): Promise<{ payload: GuildCreate; readable: Set<Snowflake> }> {
  const [guild, roles, channels, memberCount, firstMembers, viewer, joinedPrivate, voiceStates, overwrites] = await Promise.all([
    db.selectFrom('guilds').selectAll().where('id', '=', guildId).executeTakeFirstOrThrow(),
    db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).orderBy('position').execute(),
    db.selectFrom('channels').selectAll().where('guild_id', '=', guildId).orderBy('position').orderBy('id').execute(),
    db
      .selectFrom('members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('guild_id', '=', guildId)
      .executeTakeFirstOrThrow(),
    db.selectFrom('members').selectAll().where('guild_id', '=', guildId).orderBy('user_id').limit(MEMBERS_IN_GUILD_CREATE).execute(),
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
    guildOverwrites(db, guildId),
  ]);
  const joined = new Set(joinedPrivate.map((r) => r.channel_id));
  const memberRows = firstMembers.some((m) => m.user_id === viewerId) ? firstMembers : [...firstMembers, viewer];
  const members = await loadMembers(db, guildId, memberRows);
  const online = await presence.visible(members.map((m) => m.user.id));
  const me = { guild, roles, userId: viewerId, roleIds: members.find((m) => m.user.id === viewerId)?.roles ?? [], communicationDisabledUntil: viewer.communication_disabled_until };
  const now = Date.now();
  const listed = channelsAllowing(me, channels, overwrites, 'all', Permissions.VIEW_CHANNEL, now);
  const viewable = channelsAllowing(me, channels, overwrites, joined, Permissions.VIEW_CHANNEL, now);
  const readable = channelsAllowing(me, channels, overwrites, joined, Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY, now);
  const payload: GuildCreate = {
    ...toGuild(guild, roles),
    joined_at: new Date(viewer.joined_at).toISOString(),
    large: memberCount.n > MEMBERS_IN_GUILD_CREATE,
    unavailable: false,
    member_count: memberCount.n,
    members,
    // Channels their overwrites let them see (a private one's name included); threads are
    // contents of their parent and follow it.
    channels: channels.filter((c) => c.type !== ChannelType.PUBLIC_THREAD && listed.has(c.id)).map((c) => toChannel(c, { joined: joined.has(c.id), overwrites: overwrites.get(c.id) ?? [] })),
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
