import { type GuildSubscribe, Limits, type Snowflake } from '@parley/protocol';
import type { GatewayClient } from './gateway';

/** The online members a member list follows by default: Discord's first range (0–99). */
export const ONLINE_LIST = 100;

/** What to follow in one server: the first `online` online members and `members` by ID. */
export type PresenceInterest = Omit<GuildSubscribe, 'guild_id'>;

/**
 * The presences a client follows in large servers (more members than IDENTIFY's
 * large_threshold), where the server sends only what is asked for (op 14, docs/gateway.md):
 * a member list on screen follows the online list (`follow(guildId)`), a profile card a member.
 * Small servers send every presence anyway, so nothing is asked there. What is followed is asked
 * again after each READY or RESUMED (a new connection follows nothing). GUILD_PRESENCES then
 * lands in the cache (presences, onlineCounts).
 */
export class PresenceFollower {
  private readonly wanted = new Map<Snowflake, PresenceInterest>();
  private readonly large = new Set<Snowflake>();

  constructor(private readonly gateway: GatewayClient) {
    gateway.on('READY', (ready) => {
      this.large.clear();
      for (const guild of ready.guilds) if ('large' in guild && guild.large) this.large.add(guild.id);
      for (const guildId of this.wanted.keys()) this.send(guildId);
    });
    gateway.on('RESUMED', () => {
      for (const guildId of this.wanted.keys()) this.send(guildId);
    });
    gateway.on('GUILD_CREATE', (guild) => {
      if (!guild.large) return void this.large.delete(guild.id);
      this.large.add(guild.id);
      this.send(guild.id);
    });
    gateway.on('GUILD_DELETE', ({ id }) => {
      this.large.delete(id);
      this.wanted.delete(id);
    });
  }

  /** Whether the server sends this server's presences only on request. */
  isLarge(guildId: Snowflake): boolean {
    return this.large.has(guildId);
  }

  /**
   * Follows presences in a server (by default the first ONLINE_LIST online members),
   * replacing what was followed there; the returned function stops.
   */
  follow(guildId: Snowflake, interest: PresenceInterest = { online: ONLINE_LIST }): () => void {
    this.wanted.set(guildId, interest);
    this.send(guildId);
    return () => {
      if (this.wanted.get(guildId) !== interest) return;
      this.wanted.delete(guildId);
      if (this.large.has(guildId)) this.gateway.followPresences({ guild_id: guildId });
    };
  }

  /**
   * What a member list on screen follows: the online list, and the rows in view (the first
   * presenceMembersMax), so that members past the online list's end show as they are once
   * scrolled to. Replaces what was followed in that server; the returned function stops.
   */
  followMemberList(guildId: Snowflake, rowsInView: readonly Snowflake[] = []): () => void {
    const members = rowsInView.slice(0, Limits.presenceMembersMax);
    return this.follow(guildId, members.length ? { online: ONLINE_LIST, members } : { online: ONLINE_LIST });
  }

  private send(guildId: Snowflake): void {
    const interest = this.wanted.get(guildId);
    if (interest && this.large.has(guildId)) this.gateway.followPresences({ guild_id: guildId, ...interest });
  }
}
