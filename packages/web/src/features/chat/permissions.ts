import { type Channel, DM_CHANNEL_TYPES, DM_PERMISSIONS, type Snowflake, channelPermissions, guildPermissions, hasPermission } from '@parley/protocol';
import { useRealtime } from '../realtime/store';

/**
 * What the signed-in user may do, computed from the cache with the same functions the server
 * uses, so the UI offers exactly what the server will allow (the server still decides).
 */
export function usePermissions() {
  const realtime = useRealtime();

  function inGuild(guildId: Snowflake): bigint {
    const cache = realtime.cache;
    const me = realtime.me;
    const guild = cache?.guilds.get(guildId);
    if (!cache || !me || !guild) return 0n;
    const mine = new Set(cache.members.get(guildId)?.get(me.id)?.roles ?? []);
    const roles = guild.roles.filter((r) => r.id === guildId || mine.has(r.id));
    return guildPermissions({ ownerId: guild.owner_id, userId: me.id, roles });
  }

  function inChannel(channel: Channel): bigint {
    if (!channel.guild_id) return DM_CHANNEL_TYPES.includes(channel.type) ? DM_PERMISSIONS : 0n;
    const parent = channel.parent_id ? realtime.cache?.channels.get(channel.parent_id) : undefined;
    const rules = channel.type === 11 && parent ? parent : channel;
    return channelPermissions(inGuild(channel.guild_id), { private: rules.private === true }, rules.joined === true);
  }

  return {
    inGuild,
    inChannel,
    can: (permissions: bigint, permission: bigint) => hasPermission(permissions, permission),
  };
}
