import type { Channel, Snowflake } from '@parley/protocol';
import { type MentionDirectory, mentionDirectory, mentionableChannels, mentionablePeople, mentionableRoles } from '@parley/sdk';
import { useRealtime } from '../realtime/store';

/** The people, roles and channels that can be mentioned in a conversation (the SDK's rules, on the live cache). */
export function useMentionables() {
  const realtime = useRealtime();
  return {
    people: (channel: Channel) => (realtime.cache ? mentionablePeople(realtime.cache, channel) : []),
    channels: (guildId: Snowflake) => (realtime.cache ? mentionableChannels(realtime.cache, guildId) : []),
    roles: (guildId: Snowflake) => (realtime.cache ? mentionableRoles(realtime.cache, guildId) : []),
    directory: (channelId: Snowflake): MentionDirectory => (realtime.cache ? mentionDirectory(realtime.cache, channelId) : mentionDirectory(EMPTY, channelId)),
  };
}

const EMPTY = { user: null, guilds: new Map(), members: new Map(), channels: new Map() };
