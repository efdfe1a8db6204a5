import { type Member, Permissions, type Snowflake } from '@parley/protocol';
import { timeoutEndsAt } from '@parley/sdk';
import { type ComputedRef, computed } from 'vue';
import { usePermissions } from '../chat/permissions';
import { useRealtime } from '../realtime/store';
import { timeoutClock } from './timeoutClock';

/**
 * Until when the signed-in user is timed out in a server, or null: ends by itself when the
 * time comes (usePermissions' clock) or when a moderator removes it (GUILD_MEMBER_UPDATE).
 * Administrators (and the owner) are exempt, as the server judges.
 */
export function useMyTimeout(guildId: () => Snowflake | null): ComputedRef<Date | null> {
  const realtime = useRealtime();
  const permissions = usePermissions();
  return computed(() => {
    const id = guildId();
    const me = realtime.me?.id;
    if (!id || !me || permissions.can(permissions.inGuild(id), Permissions.ADMINISTRATOR)) return null;
    return timeoutEndsAt(realtime.cache?.members.get(id)?.get(me), permissions.now());
  });
}

/** What a timed-out member is told where the composer (or a call's Join button) would be. */
export function timeoutNotice(until: Date): string {
  return `You are timed out until ${until.toLocaleString()}. You can read but not send messages, react, or join calls.`;
}

/**
 * Until when someone else is timed out, or null; turns null by itself when it ends (nothing
 * announces the end), for as long as the component asking lives.
 */
export function useTimeoutOf(member: () => Pick<Member, 'communication_disabled_until'> | null | undefined): ComputedRef<Date | null> {
  const clock = timeoutClock((now) => [timeoutEndsAt(member() ?? undefined, now)]);
  return computed(() => timeoutEndsAt(member() ?? undefined, clock.value));
}
