import type { Snowflake, User } from '@parley/protocol';
import type { Known } from './permissions';

/** How a person is named on screen: their nickname in the server, else their display name, else their username. */
export function displayNameOf(cache: Pick<Known, 'members'>, user: Pick<User, 'id' | 'username' | 'global_name'>, guildId?: Snowflake | null): string {
  const nick = guildId ? cache.members.get(guildId)?.get(user.id)?.nick : null;
  return nick || user.global_name || user.username;
}
