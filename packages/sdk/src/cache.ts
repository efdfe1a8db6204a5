import {
  type Channel,
  ChannelType,
  type Guild,
  type Member,
  type PrivateUser,
  type ReadState,
  type Role,
  type Snowflake,
  type UserGuildSettings,
  type VisibleStatus,
  type VoiceState,
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
  /** Users currently visible as online, idle or dnd (absent: offline or, in a large server, not followed). */
  presences: Map<Snowflake, VisibleStatus>;
  /** How many members are online, for the large servers whose presences you follow (GUILD_PRESENCES). */
  onlineCounts: Map<Snowflake, number>;
  readStates: Map<Snowflake, ReadState>;
  /** Your notification settings per server, where you changed them (absent: the server's default). */
  guildSettings: Map<Snowflake, UserGuildSettings>;
  /**
   * Who is in a call, by user ID: a user is in at most one call (voice channel or DM) at a
   * time, so one state each. Guild states have their guild_id filled in.
   */
  voiceStates: Map<Snowflake, VoiceState>;
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
  get onlineCounts() {
    return this.state.onlineCounts;
  }
  get readStates() {
    return this.state.readStates;
  }
  get guildSettings() {
    return this.state.guildSettings;
  }
  get voiceStates() {
    return this.state.voiceStates;
  }

  constructor(gateway: GatewayClient, options: CacheOptions = {}) {
    const state: CacheState = {
      user: null,
      guilds: new Map(),
      channels: new Map(),
      members: new Map(),
      presences: new Map(),
      onlineCounts: new Map(),
      readStates: new Map(),
      guildSettings: new Map(),
      voiceStates: new Map(),
    };
    this.state = options.reactive ? options.reactive(state) : state;
    gateway.on('READY', (ready) => {
      this.clear();
      this.state.user = ready.user;
      for (const guild of ready.guilds) if ('channels' in guild) this.addGuild(guild);
      for (const channel of ready.private_channels) this.channels.set(channel.id, channel);
      // DM partners outside shared servers (guild members' presences come with each guild).
      for (const presence of ready.presences ?? []) if (presence.status !== 'offline') this.presences.set(presence.user.id, presence.status);
      for (const state of ready.read_states) this.readStates.set(state.id, state);
      for (const settings of ready.user_guild_settings?.entries ?? []) this.guildSettings.set(settings.guild_id, settings);
    });
    gateway.on('GUILD_CREATE', (guild) => this.addGuild(guild));
    gateway.on('GUILD_UPDATE', (guild) => this.guilds.set(guild.id, guild));
    gateway.on('GUILD_DELETE', ({ id }) => this.removeGuild(id));
    gateway.on('GUILD_ROLE_CREATE', ({ guild_id, role }) => this.updateRoles(guild_id, (roles) => [...roles.filter((r) => r.id !== role.id), role]));
    gateway.on('GUILD_ROLE_UPDATE', ({ guild_id, role }) => this.updateRoles(guild_id, (roles) => roles.map((r) => (r.id === role.id ? role : r))));
    gateway.on('GUILD_ROLE_DELETE', ({ guild_id, role_id }) => {
      this.updateRoles(guild_id, (roles) => roles.filter((r) => r.id !== role_id));
      // Nobody holds a deleted role any more (the server sends no member updates for it).
      for (const [userId, member] of this.membersOf(guild_id)) {
        if (member.roles.includes(role_id)) this.membersOf(guild_id).set(userId, { ...member, roles: member.roles.filter((id) => id !== role_id) });
      }
    });
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
    // A group DM's recipients change as people are added or leave (you leaving deletes it for you).
    gateway.on('CHANNEL_RECIPIENT_ADD', ({ channel_id, user }) => {
      const channel = this.channels.get(channel_id);
      if (channel) this.channels.set(channel_id, { ...channel, recipients: [...(channel.recipients ?? []).filter((r) => r.id !== user.id), user] });
    });
    gateway.on('CHANNEL_RECIPIENT_REMOVE', ({ channel_id, user }) => {
      const channel = this.channels.get(channel_id);
      if (channel) this.channels.set(channel_id, { ...channel, recipients: (channel.recipients ?? []).filter((r) => r.id !== user.id) });
    });
    gateway.on('GUILD_EMOJIS_UPDATE', ({ guild_id, emojis }) => {
      const guild = this.guilds.get(guild_id);
      if (guild) this.guilds.set(guild_id, { ...guild, emojis });
    });
    gateway.on('GUILD_MEMBER_ADD', ({ guild_id, ...member }) => this.membersOf(guild_id).set(member.user.id, member));
    gateway.on('GUILD_MEMBER_UPDATE', ({ guild_id, ...member }) => this.membersOf(guild_id).set(member.user.id, member));
    gateway.on('GUILD_MEMBER_REMOVE', ({ guild_id, user }) => this.membersOf(guild_id).delete(user.id));
    gateway.on('GUILD_MEMBERS_CHUNK', ({ guild_id, members }) => {
      for (const member of members) this.membersOf(guild_id).set(member.user.id, member);
    });
    gateway.on('PRESENCE_UPDATE', ({ user, status }) => this.setPresence(user.id, status));
    // A large server's presences you follow (op 14): offline ones are named too.
    gateway.on('GUILD_PRESENCES', ({ guild_id, online_count, presences }) => {
      this.onlineCounts.set(guild_id, online_count);
      for (const { user, status } of presences) this.setPresence(user.id, status);
    });
    gateway.on('MESSAGE_CREATE', (message) => {
      const channel = this.channels.get(message.channel_id);
      // A thread counts its messages (the server does too; nothing announces the new count).
      const thread = channel?.type === ChannelType.PUBLIC_THREAD;
      if (channel) this.channels.set(channel.id, { ...channel, last_message_id: message.id, ...(thread && { message_count: (channel.message_count ?? 0) + 1 }) });
      // A large server's GUILD_CREATE lists only you: learn authors as they speak (never over a newer copy).
      const members = message.guild_id && message.member ? this.membersOf(message.guild_id) : null;
      if (members && !members.has(message.author.id)) members.set(message.author.id, { ...message.member!, user: message.author });
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
    gateway.on('VOICE_STATE_UPDATE', (state) => this.updateVoiceState(state));
    gateway.on('CALL_CREATE', ({ voice_states }) => {
      for (const state of voice_states) this.updateVoiceState(state);
    });
    gateway.on('CALL_DELETE', ({ channel_id }) => this.removeVoiceStates((state) => state.channel_id === channel_id));
  }

  /** The people in a channel's call (voice channel or DM), in the order they joined as far as the cache saw. */
  voiceStatesIn(channelId: Snowflake): VoiceState[] {
    return [...this.voiceStates.values()].filter((state) => state.channel_id === channelId);
  }

  private updateVoiceState(state: VoiceState): void {
    if (state.channel_id !== null) {
      this.voiceStates.set(state.user_id, state);
      return;
    }
    // A leave names the session that left: if the user has since joined from another device
    // (a newer session), this late leave is about the old one and must not remove the new.
    if (this.voiceStates.get(state.user_id)?.session_id === state.session_id) this.voiceStates.delete(state.user_id);
  }

  private removeVoiceStates(test: (state: VoiceState) => boolean): void {
    for (const [userId, state] of this.voiceStates) if (test(state)) this.voiceStates.delete(userId);
  }

  private setPresence(userId: Snowflake, status: VisibleStatus): void {
    if (status === 'offline') this.presences.delete(userId);
    else this.presences.set(userId, status);
  }

  /** A guild's channels in display order (categories first by position, then the rest). */
  channelsOf(guildId: Snowflake): Channel[] {
    return [...this.channels.values()].filter((c) => c.guild_id === guildId).sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || (a.id < b.id ? -1 : 1));
  }

  private updateRoles(guildId: Snowflake, change: (roles: Role[]) => Role[]): void {
    const guild = this.guilds.get(guildId);
    if (guild) this.guilds.set(guildId, { ...guild, roles: change(guild.roles) });
  }

  membersOf(guildId: Snowflake): Map<Snowflake, Member> {
    let members = this.members.get(guildId);
    if (!members) this.members.set(guildId, (members = new Map()));
    return members;
  }

  private addGuild(
    guild: Guild & {
      channels?: Channel[];
      threads?: Channel[];
      members?: Member[];
      presences?: { user: { id: Snowflake }; status: VisibleStatus }[];
      voice_states?: VoiceState[];
    },
  ): void {
    const { channels = [], threads = [], members = [], presences = [], voice_states = [] } = guild;
    this.guilds.set(guild.id, guild);
    // A GUILD_CREATE is the whole truth about the guild's calls: earlier states are replaced.
    this.removeVoiceStates((state) => state.guild_id === guild.id);
    for (const state of voice_states) this.updateVoiceState({ ...state, guild_id: guild.id });
    for (const channel of [...channels, ...threads]) this.channels.set(channel.id, { ...channel, guild_id: guild.id });
    for (const member of members) this.membersOf(guild.id).set(member.user.id, member);
    for (const presence of presences) if (presence.status !== 'offline') this.presences.set(presence.user.id, presence.status);
  }

  private removeGuild(id: Snowflake): void {
    this.guilds.delete(id);
    this.members.delete(id);
    this.onlineCounts.delete(id);
    for (const [channelId, channel] of this.channels) if (channel.guild_id === id) this.channels.delete(channelId);
    this.removeVoiceStates((state) => state.guild_id === id);
  }

  private clear(): void {
    this.state.user = null;
    this.guilds.clear();
    this.channels.clear();
    this.members.clear();
    this.presences.clear();
    this.onlineCounts.clear();
    this.readStates.clear();
    this.guildSettings.clear();
    this.voiceStates.clear();
  }
}
