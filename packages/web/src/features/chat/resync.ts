import type { Snowflake } from '@parley/protocol';
import { reloadOnNewSession } from '@parley/sdk';
import { onBeforeUnmount } from 'vue';
import { useRealtime } from '../realtime/store';
import { useMessages } from './messages';

/** The SDK's reload of the open channel after a session that could not be resumed, for this component's lifetime. */
export function useResyncOnNewSession(channelId: () => Snowflake | null): void {
  onBeforeUnmount(reloadOnNewSession(useMessages().history, useRealtime(), channelId));
}
