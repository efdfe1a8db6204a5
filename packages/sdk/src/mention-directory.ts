import { type Channel, ChannelType, type Role, type Snowflake, type User } from '@parley/protocol';
import { LINKABLE_CHANNEL_NAME, LINKABLE_ROLE_NAME, type MentionDirectory } from './composer-text';
import type { Known } from './permissions';
import { rolesByRank } from './roles';

/** The people who can be mentioned in a conversation: a server's members, or the DM's recipients (and you). */
export function mentionablePeople(cache: Known, channel: Channel): User[] {
  if (channel.guild_id) return [...(cache.members.get(channel.guild_id)?.values() ?? [])].map((m) => m.user);
  return [...(channel.recipients ?? []), ...(cache.user ? [cache.user] : [])];
}

/** A server's text channels, which `#name` can link to. */
export function mentionableChannels(cache: Known, guildId: Snowflake): Channel[] {
  return [...cache.channels.values()].filter((c) => c.guild_id === guildId && c.type === ChannelType.GUILD_TEXT);
}

/** A server's roles but @everyone, highest first. */
export function mentionableRoles(cache: Known, guildId: Snowflake): Role[] {
  return rolesByRank(cache, guildId).filter((r) => r.id !== guildId);
}

/** Names and IDs in one conversation, as `encodeMentions` / `decodeMentions` need them. */
export function mentionDirectory(cache: Known, channelId: Snowflake): MentionDirectory {
  const channel = cache.channels.get(channelId);
  const users = channel ? mentionablePeople(cache, channel) : [];
  const textChannels = channel?.guild_id ? mentionableChannels(cache, channel.guild_id) : [];
  const byUsername = new Map(users.map((u) => [u.username.toLowerCase(), u.id]));
  const byId = new Map(users.map((u) => [u.id as string, u.username]));
  const serverRoles = channel?.guild_id ? mentionableRoles(cache, channel.guild_id) : [];
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
