import type { Snowflake } from '@parley/protocol';
import { onBeforeUnmount } from 'vue';
import { useRealtime } from '../realtime/store';
import { useMessages } from './messages';

/**
 * After a session that could not be resumed (the server restarted, or the client was away too
 * long), READY starts a fresh session: the open channel reloads its newest page so nothing
 * that happened meanwhile is missing. A resumed session needs nothing: its events were replayed.
 */
export function useResyncOnNewSession(channelId: () => Snowflake | null): void {
  const realtime = useRealtime();
  const messages = useMessages();
  let invalidated = false;
  const offInvalid = realtime.on('invalidated', () => (invalidated = true));
  const offReady = realtime.on('READY', () => {
    const open = channelId();
    if (invalidated && open) void messages.openLatest(open);
    invalidated = false;
  });
  onBeforeUnmount(() => {
    offInvalid();
    offReady();
  });
}
