import { type Channel, ChannelType, DM_CHANNEL_TYPES, DM_PERMISSIONS, type Snowflake, channelPermissions, guildPermissions } from '@parley/protocol';
import type { CacheState } from './cache';

/** A cache, or its state (what a UI holds reactively). */
type Known = Pick<CacheState, 'user' | 'guilds' | 'members' | 'channels'>;

/*
 * What the signed-in user may do, computed from the cache with the server's own functions
 * (protocol/permissions.ts), so a client offers exactly what the server will allow. The
 * server still decides. The rules of who sees a channel mirror the server's access module:
 * a thread follows its parent, a private channel's contents belong to its members.
 */

/** The signed-in user's permissions across a guild (0 when it is not in the cache). */
export function permissionsInGuild(cache: Known, guildId: Snowflake): bigint {
  const me = cache.user;
  const guild = cache.guilds.get(guildId);
  if (!me || !guild) return 0n;
  const mine = new Set(cache.members.get(guildId)?.get(me.id)?.roles ?? []);
  const roles = guild.roles.filter((r) => r.id === guildId || mine.has(r.id));
  return guildPermissions({ ownerId: guild.owner_id, userId: me.id, roles });
}

/** The signed-in user's permissions in a channel, DM or thread. */
export function permissionsInChannel(cache: Known, channel: Channel): bigint {
  if (!channel.guild_id) return DM_CHANNEL_TYPES.includes(channel.type) ? DM_PERMISSIONS : 0n;
  const parent = channel.type === ChannelType.PUBLIC_THREAD && channel.parent_id ? cache.channels.get(channel.parent_id) : undefined;
  const rules = parent ?? channel;
  return channelPermissions(permissionsInGuild(cache, channel.guild_id), { private: rules.private === true }, rules.joined === true);
}
