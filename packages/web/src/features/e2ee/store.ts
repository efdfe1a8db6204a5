import type { EncryptedEnvelope, FileOffer, Message, Snowflake } from '@parley/protocol';
import type { EncryptedConversations, LocalSearchQuery, PendingHistoryRequest, Revealed, Verification } from '@parley/sdk/e2ee';
import { defineStore } from 'pinia';
import { reactive, ref, watch } from 'vue';
import { useRealtime } from '../realtime/store';

/** A message of an encrypted conversation as this browser sees it; `unavailable`: the engine could not start here. */
export type Opened = Revealed | { error: 'unavailable' };
type Sealed = Pick<Message, 'id' | 'channel_id' | 'author'> & { encrypted?: EncryptedEnvelope };

/**
 * End-to-end encrypted conversations in the browser: the SDK's EncryptedConversations (its
 * code loaded once the gateway is ready, after the first screen), what it opened so far
 * (reactive, for the message list), sealing for the outbox, safety codes and the key backup.
 */
export const useE2ee = defineStore('e2ee', () => {
  const realtime = useRealtime();
  const opened = reactive(new Map<string, Opened>());
  /** Messages that could not be opened: shown in the conversation, and what should stay at zero. */
  const failures = ref(0);
  const channelOf = new Map<string, Snowflake>();
  const opening = new Map<string, Promise<Opened>>();
  /** Bumped when this device joins or catches up in a conversation: a failure from before is not kept. */
  const generation = new Map<Snowflake, number>();
  /** Other devices of this person asking for the history: each is a prompt to approve or decline (HistoryRequestPrompt). */
  const historyRequests = ref<PendingHistoryRequest[]>([]);
  /** This device's own request: the code to show while it waits, then how it was answered. */
  const historyAsked = ref<{ code: string; state: 'waiting' | 'approved' | 'declined' } | null>(null);
  let engine: Promise<EncryptedConversations> | null = null;
  let engineUser: Snowflake | null = null;

  /** The signed-in person, once the gateway said who that is (a page opened directly waits for READY). */
  function me(): Promise<Snowflake> {
    const known = realtime.me?.id;
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const stop = watch(
        () => realtime.me?.id,
        (id) => {
          if (!id) return;
          stop();
          resolve(id);
        },
      );
    });
  }

  async function start(): Promise<EncryptedConversations> {
    const userId = await me();
    if (engine && engineUser === userId) return engine;
    // Someone else signed in on this page: the previous person's device stops listening.
    void engine?.then((previous) => previous.close()).catch(() => undefined);
    engineUser = userId;
    const starting = import('./engine').then(async ({ startEngine }) => {
      const started = await startEngine(userId, realtime);
      // Joined or caught up: what could not be opened in that conversation is tried again.
      started.on('changed', ({ channelId }) => {
        generation.set(channelId, (generation.get(channelId) ?? 0) + 1);
        for (const [key, result] of [...opened]) {
          if (channelOf.get(key) !== channelId || !('error' in result)) continue;
          opened.delete(key);
          channelOf.delete(key);
        }
        // Keys it may not have held before: sealed reactions it could not open are looked at again.
        for (const [key, emoji] of [...reactionEmoji]) if (!emoji) reactionEmoji.delete(key);
      });
      started.on('error', ({ error }) => console.error('Encryption:', error));
      started.on('history-request', (request) => (historyRequests.value = [...historyRequests.value.filter((r) => r.device_id !== request.device_id), request]));
      started.on('history-request-done', ({ id }) => (historyRequests.value = historyRequests.value.filter((r) => r.id !== id)));
      started.on('history-answered', ({ approved }) => historyAsked.value && (historyAsked.value = { ...historyAsked.value, state: approved ? 'approved' : 'declined' }));
      void started.historyRequests().then(
        (requests) => (historyRequests.value = requests),
        (error: unknown) => console.error('Encryption:', error),
      );
      // Marked on the page for tools and tests: this browser's device is registered and published.
      document.documentElement.dataset.e2ee = 'ready';
      return started;
    });
    starting.catch(() => (engine = null));
    return (engine = starting);
  }

  /** Opens a message (once per envelope; again after this device joined or caught up, if it failed). */
  function reveal(message: Sealed & { encrypted: EncryptedEnvelope }): Promise<Opened> {
    const key = `${message.id}:${message.encrypted.signature}`;
    const known = opened.get(key);
    if (known) return Promise.resolve(known);
    let pending = opening.get(key);
    if (!pending) {
      channelOf.set(key, message.channel_id);
      const asked = generation.get(message.channel_id) ?? 0;
      pending = start()
        .then((e) => e.reveal(message))
        .catch((): Opened => ({ error: 'unavailable' }))
        .then((result) => {
          opening.delete(key);
          // The device joined meanwhile: asked again rather than keep a stale failure.
          if ('error' in result && asked !== (generation.get(message.channel_id) ?? 0)) return reveal(message);
          if ('error' in result && result.error !== 'waiting' && result.error !== 'before-joined') failures.value++;
          opened.set(key, result);
          return result;
        });
      opening.set(key, pending);
    }
    return pending;
  }

  /** What a message says, once opened (undefined meanwhile: it is being opened); for views. */
  function textOf(message: Sealed): Opened | undefined {
    if (!message.encrypted) return undefined;
    const known = opened.get(`${message.id}:${message.encrypted.signature}`);
    if (!known) void reveal({ ...message, encrypted: message.encrypted });
    return known;
  }

  /** A message of an encrypted conversation, sealed with its files (the outbox's `seal`). */
  async function sealMessage(channelId: Snowflake, content: string, files: readonly File[], editing?: Snowflake): Promise<{ encrypted: EncryptedEnvelope; files: File[] }> {
    return (await start()).sealMessage(channelId, content, files, editing);
  }

  async function sealFileOffer(channelId: Snowflake, offer: FileOffer): Promise<EncryptedEnvelope> {
    return (await start()).sealFileOffer(channelId, offer);
  }

  /** Sealed reactions opened so far, by message and token: the emoji, or '' when none this client offers matches. */
  const reactionEmoji = reactive(new Map<string, string>());
  const findingReactions = new Set<string>();
  let candidates: Promise<string[]> | null = null;
  /** The emoji a sealed reaction may be: those the picker offers (loaded with it, on first need). */
  const emojiCandidates = () => (candidates ??= import('../chat/emoji-data').then(({ EMOJI_GROUPS }) => EMOJI_GROUPS.flatMap((g) => g.emoji.map(([emoji]) => emoji))));

  /** What to react with on an encrypted message: the emoji sealed for it (fails when this device cannot read the message). */
  async function sealReaction(message: Sealed & { encrypted: EncryptedEnvelope }, emoji: string): Promise<string> {
    const token = (await start()).reactionFor(message, emoji);
    if (!token) throw new Error('This device cannot read that message, so it cannot react to it.');
    reactionEmoji.set(`${message.id}:${token}`, emoji);
    return token;
  }

  /** Which emoji a sealed reaction is, for views: undefined while looking, '' when unknown here. */
  function reactionOf(message: Sealed & { encrypted: EncryptedEnvelope }, token: string): string | undefined {
    const key = `${message.id}:${token}`;
    const known = reactionEmoji.get(key);
    if (known === undefined && !findingReactions.has(key)) {
      findingReactions.add(key);
      // Its reaction key is in its sealed text: opened first.
      void Promise.all([start(), emojiCandidates(), reveal(message)])
        .then(([e, list]) => e.openReactions(message, [token], list).get(token) ?? '')
        .catch(() => '')
        .then((emoji) => {
          reactionEmoji.set(key, emoji);
          findingReactions.delete(key);
        });
    }
    return known;
  }

  /** People this person verified, by user ID: their fingerprint then (kept in this browser). */
  const verifiedKey = () => `parley.e2ee.verified.${realtime.me?.id ?? ''}`;
  const verified = ref<Record<string, string>>({});
  watch(
    () => realtime.me?.id,
    () => (verified.value = JSON.parse(localStorage.getItem(verifiedKey()) ?? '{}') as Record<string, string>),
    { immediate: true },
  );

  /** Someone's safety code in a conversation and whether it matches what was verified (null: this device is not in it yet). */
  async function verification(channelId: Snowflake, userId: Snowflake): Promise<Verification | null> {
    const e = await start();
    await e.prepare(channelId);
    return e.verification(channelId, userId, verified.value[userId]);
  }

  /** The person compared codes and they matched: remembered until their devices change. */
  function markVerified(userId: Snowflake, fingerprint: string): void {
    verified.value = { ...verified.value, [userId]: fingerprint };
    localStorage.setItem(verifiedKey(), JSON.stringify(verified.value));
  }

  /** Whether this device keeps the key backup current, and whether the person has one at all. */
  async function backupStatus(): Promise<{ backingUp: boolean; exists: boolean }> {
    const e = await start();
    return { backingUp: e.backingUp, exists: await e.backupExists() };
  }

  /** Starts the key backup (a passphrase, if given, opens it too); answers the recovery key to show once. */
  async function setUpBackup(passphrase?: string): Promise<string> {
    return (await start()).setUpBackup(passphrase ? { passphrase } : {});
  }

  /** Opens the history sent before this device joined, with the recovery key or the passphrase (as typed). */
  async function restoreBackup(typed: string): Promise<void> {
    const running = await start();
    const { backupSecretOf } = await import('@parley/sdk/e2ee');
    await running.restoreBackup(backupSecretOf(typed));
  }

  /** Shares what this device reads of a conversation's history with its members as they are now (those who joined later read it then). */
  async function shareHistory(channelId: Snowflake): Promise<void> {
    await (await start()).shareHistory(channelId);
  }

  /** Asks this person's other devices for the history; the code to show is in `historyAsked`. */
  async function askForHistory(): Promise<void> {
    const { code } = await (await start()).askForHistory();
    historyAsked.value = { code, state: 'waiting' };
  }

  /** Approves another device's request (the person saw the same code on it). */
  async function approveHistory(request: PendingHistoryRequest): Promise<void> {
    await (await start()).approveHistory(request);
  }

  async function declineHistory(request: PendingHistoryRequest): Promise<void> {
    await (await start()).declineHistory(request.id);
  }

  /** Searches an encrypted conversation on this device: the server cannot (its index is sealed in this browser). */
  async function searchLocally(channelId: Snowflake, query: LocalSearchQuery): Promise<{ messages: Message[]; total_results: number }> {
    const running = await start();
    const { searchEncrypted } = await import('./engine');
    return searchEncrypted(running, channelId, query);
  }

  /** Signing out: the device is removed from the account and from this browser. */
  async function forgetDevice(): Promise<void> {
    const userId = engineUser;
    const running = engine;
    engine = engineUser = null;
    if (!userId) return;
    const { forgetDevice: forget } = await import('./engine');
    await forget(userId, (await running?.catch(() => null)) ?? null);
  }

  // On the page for tools and tests (every journey ends by checking it is zero).
  watch(failures, (count) => (document.documentElement.dataset.e2eeFailures = String(count)), { immediate: true });

  // Every signed-in browser is a device from the start, so whoever starts an encrypted
  // conversation with this person includes it and nothing sent to them is unreadable here.
  watch(
    () => (realtime.state === 'ready' ? realtime.me?.id : null),
    (userId) => {
      if (userId) void start().catch((error: unknown) => console.error('Encryption could not start:', error));
    },
    { immediate: true },
  );

  return {
    failures,
    reveal,
    textOf,
    sealMessage,
    sealFileOffer,
    sealReaction,
    reactionOf,
    start,
    forgetDevice,
    verification,
    markVerified,
    backupStatus,
    setUpBackup,
    restoreBackup,
    shareHistory,
    historyRequests,
    historyAsked,
    askForHistory,
    approveHistory,
    declineHistory,
    searchLocally,
  };
});
