import { type GuildSubscribe, Limits, type Presence, type Snowflake, type VisibleStatus } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { LogEntry } from '../bus/event-log';
import type { Tables } from '../db/tables';
import type { PresenceStore } from '../presence/presence-store';
import type { Connection } from './connection';
import { setAdd, setRemove } from './set-map';

/**
 * Changes to followed presences gather this long and leave as one GUILD_PRESENCES per session and
 * server (the latest state of each member): a join storm costs each follower a frame per window,
 * not a frame per arrival.
 */
const PRESENCE_COALESCE_MS = 500;

/** What one session follows in one large server (op 14). */
interface Follow {
  /** How many online members it follows (the online list's first ones). */
  online: number;
  /** Members it named by ID. */
  members: Set<Snowflake>;
  /** The online members it was given for its online list, kept until they go offline. */
  shown: Set<Snowflake>;
  /** Changes not yet sent: the latest status of each member. */
  pending: Map<Snowflake, VisibleStatus>;
  /** The online count it was last told. */
  sentCount: number;
}

/** One large server followed by sessions on this node. */
interface FollowedGuild {
  id: Snowflake;
  /** Its online members (this node's view, kept current from the log's presence entries), in the order they came online. */
  online: Map<Snowflake, VisibleStatus>;
  /** Set while the first snapshot is read: changes that arrive meanwhile, applied after it. */
  loading: Promise<void> | null;
  changesWhileLoading: Map<Snowflake, VisibleStatus>;
  followers: Map<Connection, Follow>;
  /** Who follows each member (by ID or through their online list). */
  watchers: Map<Snowflake, Set<Connection>>;
  /** Followers with room in their online list (fewer shown than asked for). */
  withRoom: Set<Connection>;
  timer: NodeJS.Timeout | null;
}

/**
 * Presence in servers, per node (Discord's model): in a server up to a session's
 * `large_threshold` the session gets every member's PRESENCE_UPDATE live; in a larger one only
 * the presences it follows (op 14): the first online members and members by ID, coalesced
 * (PRESENCE_COALESCE_MS). Everything still travels as one log entry per change and server, which
 * every node reads: followers on any node hear of members on any other.
 */
export class GuildPresences {
  /** Per server, the sessions that get every presence there (it is small for them, or they are a bot). */
  private readonly everyPresence = new Map<Snowflake, Set<Connection>>();
  private readonly followed = new Map<Snowflake, FollowedGuild>();
  /** Per session, the servers it follows in (most recent last). */
  private readonly follows = new Map<Connection, Set<Snowflake>>();

  constructor(private readonly deps: { db: Kysely<Tables>; presence: PresenceStore }) {}

  /** A session is in a server: `large` means it gets only the presences it follows there. */
  joined(connection: Connection, guildId: Snowflake, large: boolean): void {
    if (large) setRemove(this.everyPresence, guildId, connection);
    else setAdd(this.everyPresence, guildId, connection);
  }

  /** A session left a server (or closed): it stops hearing of its presences. */
  left(connection: Connection, guildId: Snowflake): void {
    setRemove(this.everyPresence, guildId, connection);
    this.unfollow(connection, guildId);
  }

  /** Whether a session gets a server's presences as PRESENCE_UPDATE (what a replay checks). */
  getsEvery(connection: Connection, guildId: Snowflake): boolean {
    return this.everyPresence.get(guildId)?.has(connection) ?? false;
  }

  /**
   * A PRESENCE_UPDATE addressed to servers, read from the log: its followers' states are updated
   * (sent later, coalesced), and the sessions that get every presence there are returned.
   */
  route(entry: LogEntry): Set<Connection> {
    const targets = new Set<Connection>();
    const presence = JSON.parse(entry.d) as Presence;
    const excepted = entry.to.exceptUsers?.length ? new Set(entry.to.exceptUsers) : null;
    for (const guildId of entry.to.guilds ?? []) {
      this.changed(guildId, presence.user.id, presence.status);
      for (const c of this.everyPresence.get(guildId) ?? []) if (!excepted?.has(c.userId!)) targets.add(c);
    }
    return targets;
  }

  /** A member left a server: to its followers they are gone (offline), and no longer count as online there. */
  memberLeft(guildId: Snowflake, userId: Snowflake): void {
    this.changed(guildId, userId, 'offline');
  }

  /** Op 14: what a session follows in a server from now on (nothing: it stops), answered with a snapshot. */
  async follow(connection: Connection, d: GuildSubscribe): Promise<void> {
    // The server's online set stays loaded while its follower changes what it follows (no re-read).
    this.unfollow(connection, d.guild_id, true);
    const online = d.online ?? 0;
    const members = new Set(d.members ?? []);
    if (online === 0 && members.size === 0) return this.dropIfUnfollowed(d.guild_id);
    // A client shows one member list at a time: the server followed longest ago makes room.
    const mine = this.follows.get(connection) ?? new Set<Snowflake>();
    this.follows.set(connection, mine);
    while (mine.size >= Limits.presenceGuildsMax) this.unfollow(connection, mine.values().next().value!);
    mine.add(d.guild_id);
    const guild = this.followed.get(d.guild_id) ?? this.startFollowing(d.guild_id);
    const follow: Follow = { online, members, shown: new Set(), pending: new Map(), sentCount: 0 };
    guild.followers.set(connection, follow);
    for (const userId of members) setAdd(guild.watchers, userId, connection);
    await guild.loading;
    if (connection.isClosed || guild.followers.get(connection) !== follow) return;
    for (const userId of guild.online.keys()) {
      if (follow.shown.size >= online) break;
      this.show(guild, connection, follow, userId);
    }
    if (follow.shown.size < online) guild.withRoom.add(connection);
    follow.pending.clear();
    follow.sentCount = guild.online.size;
    const followed = new Set([...follow.shown, ...members]);
    sendPresences(
      connection,
      guild,
      true,
      [...followed].map((userId) => [userId, guild.online.get(userId) ?? 'offline']),
    );
  }

  /** A session closed: it follows nothing and is in no server any more. */
  closed(connection: Connection): void {
    for (const guildId of [...(this.follows.get(connection) ?? [])]) this.unfollow(connection, guildId);
    this.follows.delete(connection);
  }

  private startFollowing(guildId: Snowflake): FollowedGuild {
    const guild: FollowedGuild = { id: guildId, online: new Map(), loading: null, changesWhileLoading: new Map(), followers: new Map(), watchers: new Map(), withRoom: new Set(), timer: null };
    this.followed.set(guildId, guild);
    guild.loading = (async () => {
      try {
        const rows = await this.deps.db.selectFrom('members').select('user_id').where('guild_id', '=', guildId).execute();
        guild.online = await this.deps.presence.visible(rows.map((r) => r.user_id));
      } finally {
        guild.loading = null;
        // Changes read from the log while the snapshot was taken are newer than it.
        for (const [userId, status] of guild.changesWhileLoading) this.apply(guild, userId, status);
        guild.changesWhileLoading.clear();
      }
    })();
    return guild;
  }

  private unfollow(connection: Connection, guildId: Snowflake, keepGuild = false): void {
    this.follows.get(connection)?.delete(guildId);
    const guild = this.followed.get(guildId);
    const follow = guild?.followers.get(connection);
    if (!guild || !follow) return;
    guild.followers.delete(connection);
    guild.withRoom.delete(connection);
    for (const userId of [...follow.members, ...follow.shown]) setRemove(guild.watchers, userId, connection);
    if (!keepGuild) this.dropIfUnfollowed(guildId);
  }

  /** Nobody on this node follows the server any more: its online set is no longer kept. */
  private dropIfUnfollowed(guildId: Snowflake): void {
    const guild = this.followed.get(guildId);
    if (!guild || guild.followers.size > 0) return;
    if (guild.timer) clearTimeout(guild.timer);
    this.followed.delete(guildId);
  }

  private changed(guildId: Snowflake, userId: Snowflake, status: VisibleStatus): void {
    const guild = this.followed.get(guildId);
    if (!guild) return;
    if (guild.loading) guild.changesWhileLoading.set(userId, status);
    else this.apply(guild, userId, status);
  }

  private apply(guild: FollowedGuild, userId: Snowflake, status: VisibleStatus): void {
    const wasOnline = guild.online.has(userId);
    if (status === 'offline') guild.online.delete(userId);
    else guild.online.set(userId, status);
    for (const connection of guild.watchers.get(userId) ?? []) {
      const follow = guild.followers.get(connection)!;
      follow.pending.set(userId, status);
      // Gone offline, they leave the online list (a later arrival takes the place).
      if (status === 'offline' && follow.shown.delete(userId)) {
        if (!follow.members.has(userId)) setRemove(guild.watchers, userId, connection);
        guild.withRoom.add(connection);
      }
    }
    if (status !== 'offline' && !wasOnline) {
      for (const connection of [...guild.withRoom]) {
        const follow = guild.followers.get(connection)!;
        this.show(guild, connection, follow, userId);
        follow.pending.set(userId, status);
        if (follow.shown.size >= follow.online) guild.withRoom.delete(connection);
      }
    }
    // The online count moved, or someone followed changed.
    if (wasOnline !== (status !== 'offline') || guild.watchers.has(userId)) this.schedule(guild);
  }

  private show(guild: FollowedGuild, connection: Connection, follow: Follow, userId: Snowflake): void {
    follow.shown.add(userId);
    setAdd(guild.watchers, userId, connection);
  }

  private schedule(guild: FollowedGuild): void {
    guild.timer ??= setTimeout(() => this.flush(guild), PRESENCE_COALESCE_MS);
  }

  /** One GUILD_PRESENCES to each follower with anything new: its members' latest states and the online count. */
  private flush(guild: FollowedGuild): void {
    guild.timer = null;
    for (const [connection, follow] of guild.followers) {
      if (follow.pending.size === 0 && follow.sentCount === guild.online.size) continue;
      if (connection.state !== 'ready') continue;
      follow.sentCount = guild.online.size;
      sendPresences(connection, guild, false, follow.pending);
      follow.pending.clear();
    }
  }
}

/**
 * GUILD_PRESENCES, written by hand: a join storm sends thousands of these, each listing up to
 * hundreds of members, and building objects to stringify them was most of their cost.
 */
function sendPresences(connection: Connection, guild: FollowedGuild, snapshot: boolean, presences: Iterable<[Snowflake, VisibleStatus]>): void {
  let list = '';
  for (const [userId, status] of presences) list += `${list ? ',' : ''}{"user":{"id":"${userId}"},"status":"${status}"}`;
  connection.send(`{"op":0,"t":"GUILD_PRESENCES","s":${connection.cursor},"d":{"guild_id":"${guild.id}","snapshot":${snapshot},"online_count":${guild.online.size},"presences":[${list}]}}`);
}
