import type { Channel, Snowflake, User } from '@parley/protocol';
import { displayNameOf } from '@parley/sdk';
import { useAuthStore } from '../auth/store';
import { useRealtime } from '../realtime/store';

/** How people are named on screen: server nickname, then display name, then username. */
export function usePeople() {
  const realtime = useRealtime();
  const auth = useAuthStore();

  function nameOf(user: Pick<User, 'id' | 'username' | 'global_name'>, guildId?: Snowflake | null): string {
    return displayNameOf(realtime.cache ?? { members: new Map() }, user, guildId);
  }

  /** A user known to the cache (server members, DM recipients), by ID. */
  function userById(id: Snowflake, guildId?: Snowflake | null): User | null {
    const cache = realtime.cache;
    if (!cache) return null;
    if (guildId) {
      const member = cache.members.get(guildId)?.get(id);
      if (member) return member.user;
    }
    if (cache.user?.id === id) return cache.user;
    for (const channel of cache.channels.values()) {
      const found = channel.recipients?.find((r) => r.id === id);
      if (found) return found;
    }
    for (const members of cache.members.values()) {
      const member = members.get(id);
      if (member) return member.user;
    }
    return null;
  }

  /**
   * The user as they are now, for showing them: yourself as the auth store has you (kept
   * current by your own changes: an upgraded guest stops being one at once), anyone else as
   * the cache has them (kept current by GUILD_MEMBER_UPDATE). Null when the cache does not
   * know them; callers fall back to the copy they have (a message's author).
   */
  function liveUser(id: Snowflake, guildId?: Snowflake | null): User | null {
    if (auth.me?.id === id) return auth.me;
    return userById(id, guildId);
  }

  /** A DM's title: the other person, or the group's name / members. */
  function dmTitle(channel: Channel): string {
    if (channel.name) return channel.name;
    const names = (channel.recipients ?? []).map((r) => nameOf(r));
    return names.join(', ') || 'Empty group';
  }

  return { nameOf, userById, liveUser, dmTitle };
}
