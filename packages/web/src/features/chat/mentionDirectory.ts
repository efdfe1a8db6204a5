import { type Channel, ChannelType, type Role, type Snowflake, type User } from '@parley/protocol';
import { rolesByRank } from '@parley/sdk';
import { useRealtime } from '../realtime/store';
import { LINKABLE_CHANNEL_NAME, LINKABLE_ROLE_NAME, type MentionDirectory } from './composerText';

/** The people, roles and channels that can be mentioned in a conversation: a server's, or the DM's recipients (and you). */
export function useMentionables() {
  const realtime = useRealtime();

  function people(channel: Channel): User[] {
    const cache = realtime.cache;
    if (!cache) return [];
    if (channel.guild_id) return [...(cache.members.get(channel.guild_id)?.values() ?? [])].map((m) => m.user);
    return [...(channel.recipients ?? []), ...(cache.user ? [cache.user] : [])];
  }

  /** A server's text channels, which `#name` can link to. */
  function channels(guildId: Snowflake): Channel[] {
    return [...(realtime.cache?.channels.values() ?? [])].filter((c) => c.guild_id === guildId && c.type === ChannelType.GUILD_TEXT);
  }

  /** A server's roles but @everyone, highest first. */
  function roles(guildId: Snowflake): Role[] {
    return realtime.cache ? rolesByRank(realtime.cache, guildId).filter((r) => r.id !== guildId) : [];
  }

  /** Names and IDs in this conversation, as `encodeMentions` / `decodeMentions` need them. */
  function directory(channelId: Snowflake): MentionDirectory {
    const channel = realtime.cache?.channels.get(channelId);
    const users = channel ? people(channel) : [];
    const textChannels = channel?.guild_id ? channels(channel.guild_id) : [];
    const byUsername = new Map(users.map((u) => [u.username.toLowerCase(), u.id]));
    const byId = new Map(users.map((u) => [u.id as string, u.username]));
    const serverRoles = channel?.guild_id ? roles(channel.guild_id) : [];
    return {
      userIdByUsername: (username) => byUsername.get(username) ?? null,
      usernameById: (id) => byId.get(id) ?? null,
      channelIdByName(name) {
        const named = textChannels.filter((c) => c.name === name);
        return named.length === 1 && LINKABLE_CHANNEL_NAME.test(name) ? named[0]!.id : null;
      },
      channelNameById: (id) => textChannels.find((c) => c.id === id)?.name ?? null,
      roleIdByName(name) {
        const key = name.toLowerCase();
        const named = serverRoles.filter((r) => r.name.toLowerCase() === key);
        return named.length === 1 && LINKABLE_ROLE_NAME.test(name) && !byUsername.has(key) ? named[0]!.id : null;
      },
      roleNameById: (id) => serverRoles.find((r) => r.id === id)?.name ?? null,
    };
  }

  return { people, channels, roles, directory };
}
