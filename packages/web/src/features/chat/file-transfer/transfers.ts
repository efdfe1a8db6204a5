import type { FileOffer, Message, Snowflake } from '@parley/protocol';
import type { DownloadState, FileTransfers, ShareState } from '@parley/sdk/file-transfer';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { api } from '../../../api';
import { iceServers } from '../../calls/iceServers';
import { useE2ee } from '../../e2ee/store';
import { useRealtime } from '../../realtime/store';
import { openSink } from './sinks';

/**
 * This tab's peer-to-peer files (the SDK's FileTransfers, loaded on first use): what it shares,
 * to whom, and what it downloads, as reactive state for the message cards.
 */
export const useFileTransfers = defineStore('file-transfers', () => {
  const realtime = useRealtime();
  const e2ee = useE2ee();
  const shares = reactive(new Map<string, ShareState>());
  const downloads = reactive(new Map<string, DownloadState>());
  let engine: Promise<FileTransfers> | null = null;

  function transfers(): Promise<FileTransfers> {
    engine ??= import('@parley/sdk/file-transfer').then(({ FileTransfers }) => {
      const created = new FileTransfers({ rest: api, onSignal: (listener) => realtime.on('FILE_SIGNAL', listener), iceServers });
      created.on('share', (state) => shares.set(state.offer.id, state));
      realtime.onSignedOut(() => {
        created.close();
        engine = null;
        shares.clear();
        downloads.clear();
      });
      return created;
    });
    return engine;
  }

  /** Offers `file` in the channel (sealed in an encrypted one); this tab serves it while it stays open. */
  async function share(channelId: Snowflake, file: File): Promise<void> {
    const sdk = await transfers();
    const seal = realtime.cache?.channels.get(channelId)?.e2ee ? (offer: FileOffer) => e2ee.sealFileOffer(channelId, offer) : undefined;
    const { offer } = await sdk.share(channelId, file, seal);
    shares.set(offer.id, sdk.shareState(offer.id)!);
  }

  async function stopSharing(offerId: string): Promise<void> {
    (await transfers()).stopSharing(offerId);
    shares.delete(offerId);
  }

  /** Downloads an offered file (call from the click: choosing where to save needs it). */
  async function download(message: Pick<Message, 'channel_id' | 'author'>, offer: FileOffer): Promise<void> {
    const opened = await openSink(offer);
    const started = (await transfers()).download(message, offer, opened.sink);
    downloads.set(offer.id, started.state);
    started.on('state', (state) => {
      downloads.set(offer.id, state);
      if (state.phase === 'done') void opened.finish();
    });
  }

  async function cancel(offerId: string): Promise<void> {
    (await transfers()).downloadOf(offerId)?.cancel();
  }

  return { shares, downloads, share, stopSharing, download, cancel };
});
