import { type Channel, type Snowflake, hasPermission } from '@parley/protocol';
import { permissionsInChannel, permissionsInGuild, timeoutEndsAt } from '@parley/sdk';
import { type Ref, effectScope } from 'vue';
import { timeoutClock } from '../moderation/timeoutClock';
import { useRealtime } from '../realtime/store';

/**
 * The clock permissions are judged by: it moves when one of the signed-in user's timeouts ends.
 * Made once, in a detached scope, so it outlives the component that first asked.
 */
let clock: Ref<number> | null = null;

function permissionsClock(realtime: ReturnType<typeof useRealtime>): Ref<number> {
  clock ??= effectScope(true).run(() =>
    timeoutClock((now) => {
      const me = realtime.me?.id;
      return me ? [...(realtime.cache?.members.values() ?? [])].map((members) => timeoutEndsAt(members.get(me), now)) : [];
    }),
  )!;
  return clock;
}

/** What the signed-in user may do, from the live cache (the SDK computes it as the server does). */
export function usePermissions() {
  const realtime = useRealtime();
  const now = permissionsClock(realtime);
  return {
    inGuild: (guildId: Snowflake): bigint => (realtime.cache ? permissionsInGuild(realtime.cache, guildId, now.value) : 0n),
    inChannel: (channel: Channel): bigint => (realtime.cache ? permissionsInChannel(realtime.cache, channel, now.value) : 0n),
    can: (permissions: bigint, permission: bigint) => hasPermission(permissions, permission),
    /** The current time as permissions see it (reactive: changes when a timeout ends). */
    now: () => now.value,
  };
}
