import type { Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { ref } from 'vue';

/**
 * The side panel beside a conversation: one thread, the channel's threads, or its pinned
 * messages. The channel view shows it only while it belongs to the channel on screen, so
 * moving to another channel leaves it behind.
 */
export type SidePanel = { kind: 'thread'; threadId: Snowflake; parentId: Snowflake } | { kind: 'threads' | 'pins'; channelId: Snowflake };

export const useSidePanel = defineStore('side-panel', () => {
  const panel = ref<SidePanel | null>(null);

  function openThread(threadId: Snowflake, parentId: Snowflake): void {
    panel.value = { kind: 'thread', threadId, parentId };
  }

  /** Opens the channel's threads or pins list, or closes it when it is the one open. */
  function toggle(kind: 'threads' | 'pins', channelId: Snowflake): void {
    const open = panel.value;
    panel.value = open && open.kind === kind && open.channelId === channelId ? null : { kind, channelId };
  }

  /** The panel for a channel, if the open one belongs to it. */
  function forChannel(channelId: Snowflake): SidePanel | null {
    const open = panel.value;
    if (!open) return null;
    return (open.kind === 'thread' ? open.parentId : open.channelId) === channelId ? open : null;
  }

  function close(): void {
    panel.value = null;
  }

  return { panel, openThread, toggle, forChannel, close };
});
