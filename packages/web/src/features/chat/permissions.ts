import { type Channel, type Snowflake, hasPermission } from '@parley/protocol';
import { permissionsInChannel, permissionsInGuild } from '@parley/sdk';
import { useRealtime } from '../realtime/store';

/** What the signed-in user may do, from the live cache (the SDK computes it as the server does). */
export function usePermissions() {
  const realtime = useRealtime();
  return {
    inGuild: (guildId: Snowflake): bigint => (realtime.cache ? permissionsInGuild(realtime.cache, guildId) : 0n),
    inChannel: (channel: Channel): bigint => (realtime.cache ? permissionsInChannel(realtime.cache, channel) : 0n),
    can: (permissions: bigint, permission: bigint) => hasPermission(permissions, permission),
  };
}
