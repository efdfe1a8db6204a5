import type { Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { ref, watchEffect } from 'vue';
import { useRealtime } from '../realtime/store';
import { type Departure, DepartureTracker } from './departures';

/**
 * Servers the signed-in user was removed from (kicked, banned) or that were deleted, for the
 * notice the chat screens show instead of a server that silently vanished.
 */
export const useDepartures = defineStore('departures', () => {
  const realtime = useRealtime();
  const tracker = new DepartureTracker();
  const departures = ref<Departure[]>([]);
  /** Names as last known: GUILD_DELETE reaches listeners after the cache forgot the server. */
  const names = new Map<Snowflake, string>();
  watchEffect(() => {
    for (const guild of realtime.cache?.guilds.values() ?? []) names.set(guild.id, guild.name);
  });

  realtime.on('GUILD_MEMBER_REMOVE', ({ guild_id, user }) => tracker.memberRemoved(guild_id, user.id, realtime.me?.id));
  realtime.on('GUILD_DELETE', (event) => {
    const departure = tracker.guildDeleted(event, names.get(event.id) ?? 'A server');
    if (departure) departures.value = [...departures.value.filter((d) => d.guildId !== departure.guildId), departure];
  });
  realtime.on('GUILD_CREATE', ({ id }) => {
    tracker.rejoined(id);
    dismiss(id);
  });

  function dismiss(guildId: Snowflake): void {
    departures.value = departures.value.filter((d) => d.guildId !== guildId);
  }

  return {
    departures,
    of: (guildId: Snowflake) => departures.value.find((d) => d.guildId === guildId) ?? null,
    /** Leaves or deletes a server yourself (`action`): no notice for it, unless the action fails. */
    async leaving<T>(guildId: Snowflake, action: () => Promise<T>): Promise<T> {
      tracker.expectLeave(guildId);
      try {
        return await action();
      } catch (e) {
        tracker.rejoined(guildId);
        throw e;
      }
    },
    dismiss,
  };
});
