import {
  type Channel,
  ChannelType,
  type Guild,
  type Member,
  type PrivateUser,
  type ReadState,
  type Snowflake,
  type UserGuildSettings,
  type VisibleStatus,
} from '@parley/protocol';
import type { GatewayClient } from './gateway';

/** Everything the cache holds, in one object so a UI framework can make it reactive. */
export interface CacheState {
  user: PrivateUser | null;
  guilds: Map<Snowflake, Guild>;
  /** Guild channels, threads, DMs and group DMs. */
  channels: Map<Snowflake, Channel>;
  /** Members known per guild (the first ones from GUILD_CREATE, then whoever events mention). */
  members: Map<Snowflake, Map<Snowflake, Member>>;
  /** Users currently visible as online, idle or dnd (absent: offline). */
  presences: Map<Snowflake, VisibleStatus>;
  readStates: Map<Snowflake, ReadState>;
  /** Your notification settings per server, where you changed them (absent: the server's default). */
  guildSettings: Map<Snowflake, UserGuildSettings>;
}

export interface CacheOptions {
  /** Wraps the state on creation, e.g. Vue's `reactive`, so views update as events arrive. */
  reactive?: <T extends object>(state: T) => T;
}

/**
 * What a client knows of the world, kept current from the gateway: the signed-in user, their
 * servers with channels and members, DMs, presences and read states. Rebuilt from each READY.
 */
export class ParleyCache {
  readonly state: CacheState;

  get user(): PrivateUser | null {
    return this.state.user;
  }
  get guilds() {
    return this.state.guilds;
  }
  get channels() {
    return this.state.channels;
  }
  get members() {
    return this.state.members;
  }
  get presences() {
    return this.state.presences;
  }
  get readStates() {
    return this.state.readStates;
  }
  get guildSettings() {
    return this.state.guildSettings;
  }

  constructor(gateway: GatewayClient, options: CacheOptions = {}) {
    const state: CacheState = { user: null, guilds: new Map(), channels: new Map(), members: new Map(), presences: new Map(), readStates: new Map(), guildSettings: new Map() };
    this.state = options.reactive ? options.reactive(state) : state;
    gateway.on('READY', (ready) => {
      this.clear();
      this.state.user = ready.user;
      for (const guild of ready.guilds) if ('channels' in guild) this.addGuild(guild);
      for (const channel of ready.private_channels) this.channels.set(channel.id, channel);
      for (const state of ready.read_states) this.readStates.set(state.id, state);
      for (const settings of ready.user_guild_settings?.entries ?? []) this.guildSettings.set(settings.guild_id, settings);
    });
    gateway.on('GUILD_CREATE', (guild) => this.addGuild(guild));
    gateway.on('GUILD_UPDATE', (guild) => this.guilds.set(guild.id, guild));
    gateway.on('GUILD_DELETE', ({ id }) => this.removeGuild(id));
    for (const name of ['CHANNEL_CREATE', 'CHANNEL_UPDATE', 'THREAD_CREATE', 'THREAD_UPDATE'] as const) {
      gateway.on(name, (channel) => this.channels.set(channel.id, { ...this.channels.get(channel.id), ...channel }));
    }
    gateway.on('CHANNEL_DELETE', ({ id }) => this.channels.delete(id));
    gateway.on('THREAD_DELETE', ({ id }) => this.channels.delete(id));
    gateway.on('CHANNEL_MEMBER_ADD', ({ channel_id, user }) => {
      const channel = this.channels.get(channel_id);
      if (channel && user.id === this.user?.id) this.channels.set(channel_id, { ...channel, joined: true });
    });
    gateway.on('CHANNEL_MEMBER_REMOVE', ({ channel_id, user }) => {
      const channel = this.channels.get(channel_id);
      if (channel && user.id === this.user?.id) this.channels.set(channel_id, { ...channel, joined: false });
    });
    gateway.on('GUILD_MEMBER_ADD', ({ guild_id, ...member }) => this.membersOf(guild_id).set(member.user.id, member));
    gateway.on('GUILD_MEMBER_UPDATE', ({ guild_id, ...member }) => this.membersOf(guild_id).set(member.user.id, member));
    gateway.on('GUILD_MEMBER_REMOVE', ({ guild_id, user }) => this.membersOf(guild_id).delete(user.id));
    gateway.on('GUILD_MEMBERS_CHUNK', ({ guild_id, members }) => {
      for (const member of members) this.membersOf(guild_id).set(member.user.id, member);
    });
    gateway.on('PRESENCE_UPDATE', ({ user, status }) => {
      if (status === 'offline') this.presences.delete(user.id);
      else this.presences.set(user.id, status);
    });
    gateway.on('MESSAGE_CREATE', (message) => {
      const channel = this.channels.get(message.channel_id);
      // A thread counts its messages (the server does too; nothing announces the new count).
      const thread = channel?.type === ChannelType.PUBLIC_THREAD;
      if (channel) this.channels.set(channel.id, { ...channel, last_message_id: message.id, ...(thread && { message_count: (channel.message_count ?? 0) + 1 }) });
    });
    gateway.on('MESSAGE_ACK', ({ channel_id, message_id }) => {
      // An ack that does not move the read position forward (this device's own, echoed back
      // after newer messages arrived) must not clear their unread and mention counts.
      const known = this.readStates.get(channel_id)?.last_message_id;
      if (known && BigInt(message_id) <= BigInt(known)) return;
      this.readStates.set(channel_id, { id: channel_id, last_message_id: message_id, unread_count: 0, mention_count: 0 });
    });
    gateway.on('USER_UPDATE', (user) => (this.state.user = user));
    gateway.on('USER_GUILD_SETTINGS_UPDATE', (settings) => this.guildSettings.set(settings.guild_id, settings));
  }

  /** A guild's channels in display order (categories first by position, then the rest). */
  channelsOf(guildId: Snowflake): Channel[] {
    return [...this.channels.values()].filter((c) => c.guild_id === guildId).sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || (a.id < b.id ? -1 : 1));
  }

  membersOf(guildId: Snowflake): Map<Snowflake, Member> {
    let members = this.members.get(guildId);
    if (!members) this.members.set(guildId, (members = new Map()));
    return members;
  }

  private addGuild(guild: Guild & { channels?: Channel[]; threads?: Channel[]; members?: Member[]; presences?: { user: { id: Snowflake }; status: VisibleStatus }[] }): void {
    const { channels = [], threads = [], members = [], presences = [] } = guild;
    this.guilds.set(guild.id, guild);
    for (const channel of [...channels, ...threads]) this.channels.set(channel.id, { ...channel, guild_id: guild.id });
    for (const member of members) this.membersOf(guild.id).set(member.user.id, member);
    for (const presence of presences) if (presence.status !== 'offline') this.presences.set(presence.user.id, presence.status);
  }

  private removeGuild(id: Snowflake): void {
    this.guilds.delete(id);
    this.members.delete(id);
    for (const [channelId, channel] of this.channels) if (channel.guild_id === id) this.channels.delete(channelId);
  }

  private clear(): void {
    this.state.user = null;
    this.guilds.clear();
    this.channels.clear();
    this.members.clear();
    this.presences.clear();
    this.readStates.clear();
    this.guildSettings.clear();
  }
}
