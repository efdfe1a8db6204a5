import { type Channel, ChannelType, type SafetyBlock } from '@parley/protocol';
import { safetyRoutes } from '@parley/protocol/safety';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../../api';
import { useRealtime } from '../realtime/store';

/** Whether a block covers a conversation: the room it was placed in, or any DM with the person it names. */
function blockCovers(block: Pick<SafetyBlock, 'channel_id' | 'target_user_id'>, channel: Pick<Channel, 'id' | 'type' | 'recipients'>): boolean {
  if (block.channel_id === channel.id) return true;
  const direct = channel.type === ChannelType.DM || channel.type === ChannelType.GROUP_DM;
  return direct && block.target_user_id !== null && (channel.recipients ?? []).some((u) => u.id === block.target_user_id);
}

/**
 * Your safety blocks (features/safety on the server): loaded once, then kept current by
 * SAFETY_BLOCK_CREATE / SAFETY_BLOCK_UPDATE, so the composer shows the notice, the appeal and
 * the decision the moment they happen.
 */
export const useSafetyBlocks = defineStore('safety-blocks', () => {
  const realtime = useRealtime();
  const blocks = ref<SafetyBlock[]>([]);
  let loading: Promise<void> | null = null;

  function upsert(block: SafetyBlock): void {
    const index = blocks.value.findIndex((b) => b.id === block.id);
    if (index >= 0) blocks.value[index] = block;
    else blocks.value.unshift(block);
  }

  /** Loads the list once (again after a resync). */
  function load(): Promise<void> {
    loading ??= api.request(safetyRoutes.myBlocks).then(
      (list) => {
        blocks.value = list;
      },
      () => {
        loading = null;
      },
    );
    return loading;
  }

  /** What to show in a conversation: its active block, else the latest decided one there (the decision). */
  function forChannel(channel: Pick<Channel, 'id' | 'type' | 'recipients'>): SafetyBlock | null {
    const here = blocks.value.filter((b) => blockCovers(b, channel));
    return here.find((b) => b.lifted_at === null) ?? here.find((b) => b.appeal?.status === 'lifted') ?? null;
  }

  async function appeal(block: SafetyBlock, text: string): Promise<void> {
    const appeal = await api.request(safetyRoutes.appeal, { body: { block_id: block.id, text } });
    upsert({ ...block, appeal });
  }

  realtime.on('SAFETY_BLOCK_CREATE', upsert);
  realtime.on('SAFETY_BLOCK_UPDATE', upsert);
  realtime.on('invalidated', () => {
    loading = null;
    void load();
  });

  return { blocks, load, forChannel, appeal };
});
