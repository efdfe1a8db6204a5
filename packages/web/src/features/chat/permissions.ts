import { type Channel, type Snowflake, hasPermission } from '@parley/protocol';
import { permissionsInChannel, permissionsInGuild, timeoutEndsAt } from '@parley/sdk';
import { effectScope, ref, watchEffect } from 'vue';
import { useRealtime } from '../realtime/store';

/**
 * The clock permissions are judged by. It moves when one of the signed-in user's timeouts
 * ends, so whatever a timeout disabled comes back by itself (nothing announces the end).
 */
const now = ref(Date.now());
let watching = false;

function followTimeouts(realtime: ReturnType<typeof useRealtime>): void {
  if (watching) return;
  watching = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Detached: it outlives the component that first asked, for the life of the page.
  effectScope(true).run(() =>
    watchEffect(() => {
      clearTimeout(timer);
      const me = realtime.me?.id;
      const ends = me ? [...(realtime.cache?.members.values() ?? [])].map((members) => timeoutEndsAt(members.get(me), now.value)?.getTime() ?? Infinity) : [];
      const next = Math.min(Infinity, ...ends);
      // setTimeout holds at most ~24.8 days; a longer timeout re-arms when that one fires.
      if (next !== Infinity) timer = setTimeout(() => (now.value = Date.now()), Math.min(next - Date.now() + 50, 2 ** 31 - 1));
    }),
  );
}

/** What the signed-in user may do, from the live cache (the SDK computes it as the server does). */
export function usePermissions() {
  const realtime = useRealtime();
  followTimeouts(realtime);
  return {
    inGuild: (guildId: Snowflake): bigint => (realtime.cache ? permissionsInGuild(realtime.cache, guildId, now.value) : 0n),
    inChannel: (channel: Channel): bigint => (realtime.cache ? permissionsInChannel(realtime.cache, channel, now.value) : 0n),
    can: (permissions: bigint, permission: bigint) => hasPermission(permissions, permission),
    /** The current time as permissions see it (reactive: changes when a timeout ends). */
    now: () => now.value,
  };
}
