import type { Snowflake } from '@parley/protocol';
import { MessageHistory, Outbox, newNonce } from '@parley/sdk';
import { defineStore } from 'pinia';
import { markRaw, reactive, ref } from 'vue';
import { api, errorMessage } from '../../api';
import { useE2ee } from '../e2ee/store';
import { useRealtime } from '../realtime/store';
import { type FilePreview, previewFiles, releasePreviews } from './uploads';

/** A request to show a message in context, picked up by the channel's message list. */
export interface JumpRequest {
  channelId: Snowflake;
  messageId: Snowflake;
}

// Vue's reactive() returns the same shape; its unwrapped type differs only nominally.
const wrap = reactive as <T extends object>(state: T) => T;

/**
 * Messages of every channel the user opened, kept in step with the gateway (the SDK's
 * MessageHistory), and the user's messages on their way (the SDK's Outbox), made reactive;
 * plus what only the browser needs: local previews of files being sent, and jump requests.
 */
export const useMessages = defineStore('messages', () => {
  const realtime = useRealtime();
  const history = new MessageHistory(api, realtime, { reactive: wrap, me: () => realtime.me?.id ?? null, describeError: errorMessage });
  /** Local (blob:) previews of pending messages' files, by nonce. */
  const previews = reactive(new Map<string, FilePreview[]>());
  const e2ee = useE2ee();
  const outbox = new Outbox(api, realtime, {
    reactive: wrap,
    // End-to-end encrypted conversations get the text and files sealed on this device; never sent
    // in the clear there, nor to a conversation not known yet (it might be one).
    seal: async (channelId, content, files, editing) => {
      const channel = realtime.cache?.channels.get(channelId);
      if (!channel) throw new Error('This conversation is not loaded yet: nothing was sent.');
      return channel.e2ee ? e2ee.sealMessage(channelId, content, files, editing) : null;
    },
    describeError: errorMessage,
    onConfirmed: (message) => history.add(message),
    onRemoved: ({ nonce }) => {
      releasePreviews(previews.get(nonce) ?? []);
      previews.delete(nonce);
    },
  });
  const jumpRequest = ref<JumpRequest | null>(null);

  /** Asks the list showing a channel (now or once it opens) to bring a message into view. */
  function requestJump(channelId: Snowflake, messageId: Snowflake): void {
    jumpRequest.value = { channelId, messageId };
  }

  /** Sends optimistically: the message shows at once as pending, then confirmed or failed. */
  function send(channelId: Snowflake, content: string, replyTo: Snowflake | null = null, files: File[] = []): Promise<void> {
    const nonce = newNonce();
    if (files.length) previews.set(nonce, previewFiles(files));
    return outbox.send(channelId, content, { replyTo, files, nonce });
  }

  return {
    // Their state is reactive already; raw, their methods run on the instances themselves.
    history: markRaw(history),
    outbox: markRaw(outbox),
    jumpRequest,
    requestJump,
    previews: (nonce: string): readonly FilePreview[] => previews.get(nonce) ?? [],
    send,
  };
});
