import type { Snowflake } from '@parley/protocol';
import { UnreadTracker } from '@parley/sdk';
import { defineStore } from 'pinia';
import { markRaw, ref } from 'vue';
import { api } from '../../api';
import { useRealtime } from '../realtime/store';

/**
 * Unread and mention counts per channel (the SDK's UnreadTracker over the live cache, whose
 * reactive read states make them reactive). The channel on screen (while the tab is visible
 * and scrolled to the bottom) is marked read as messages come in.
 */
export const useUnread = defineStore('unread', () => {
  const realtime = useRealtime();
  /** The channel the user is looking at, when its newest messages are in view. */
  const viewing = ref<Snowflake | null>(null);
  const tracker = new UnreadTracker(api, realtime, {
    cache: () => realtime.cache,
    isViewing: (channelId) => viewing.value === channelId && document.visibilityState === 'visible',
  });

  // Raw: its methods run on the instance (the counts it reads are reactive in the cache).
  return { viewing, tracker: markRaw(tracker) };
});
