import type { Snowflake } from '@parley/protocol';
import { onBeforeUnmount, onMounted } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { useRealtime } from '../realtime/store';
import { useSearch } from '../search/store';
import { channelPath, dmChannels, guildTextChannels, neighbour } from './navigation';
import { useUnread } from './unread';

/**
 * The chat screens' keyboard shortcuts, anywhere on the page:
 * - Ctrl/Cmd+K opens the quick switcher;
 * - Alt+Up / Alt+Down go to the previous / next channel of the sidebar (Alt+Shift: unread ones);
 * - Escape closes the open panel (search results, the navigation drawer) when no dialog is open.
 */
export function useChatShortcuts(actions: { toggleSwitcher: () => void; closePanel: () => boolean }) {
  const route = useRoute();
  const router = useRouter();
  const realtime = useRealtime();
  const unread = useUnread();
  const search = useSearch();

  function moveBetweenChannels(step: 1 | -1, unreadOnly: boolean): boolean {
    const cache = realtime.cache;
    if (!cache) return false;
    const guildId = route.params.guildId as Snowflake | undefined;
    const list = guildId && guildId !== '@me' ? guildTextChannels(cache, guildId) : dmChannels(cache);
    const current = (route.params.channelId as Snowflake | undefined) ?? null;
    const next = neighbour(list, current, step, (c) => !unreadOnly || (unread.tracker.isUnread(c) && (!c.private || c.joined === true)));
    if (next) void router.push(channelPath(next));
    return true;
  }

  function onKeydown(event: KeyboardEvent) {
    if (event.defaultPrevented || event.isComposing) return;
    const dialogOpen = document.querySelector('[role="dialog"], [role="alertdialog"]') !== null;
    let handled = false;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k') {
      actions.toggleSwitcher();
      handled = true;
    } else if (event.altKey && !event.ctrlKey && !event.metaKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && !dialogOpen) {
      handled = moveBetweenChannels(event.key === 'ArrowDown' ? 1 : -1, event.shiftKey);
    } else if (event.key === 'Escape' && !dialogOpen) {
      if (search.open) {
        search.close();
        handled = true;
      } else {
        handled = actions.closePanel();
      }
    }
    if (handled) event.preventDefault();
  }

  onMounted(() => window.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown));
}
