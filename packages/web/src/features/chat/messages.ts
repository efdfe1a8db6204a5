import { type Message, type Snowflake, routes } from '@parley/protocol';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { api, errorMessage } from '../../api';
import { useRealtime } from '../realtime/store';

/** A message the user sent that the server has not confirmed yet (or refused). */
export interface PendingMessage {
  nonce: string;
  content: string;
  replyTo: Snowflake | null;
  state: 'sending' | 'failed';
  error: string | null;
}

/**
 * One channel's loaded history: a contiguous run of messages, oldest first. `atPresent` says
 * the run reaches the newest message, so live messages can be appended to it; after a jump
 * into the past it does not, until the user scrolls (or jumps) back down.
 */
export interface ChannelLog {
  messages: Message[];
  pending: PendingMessage[];
  atPresent: boolean;
  hasOlder: boolean;
  hasNewer: boolean;
  loading: boolean;
  error: string | null;
}

const PAGE = 50;
/** Channels kept in memory; opening one of them shows its messages at once, then refreshes. */
const KEPT_CHANNELS = 30;

/** Messages of every channel the user opened, kept in step with the gateway. */
export const useMessages = defineStore('messages', () => {
  const logs = reactive(new Map<Snowflake, ChannelLog>());
  const realtime = useRealtime();

  function log(channelId: Snowflake): ChannelLog {
    let entry = logs.get(channelId);
    if (!entry) {
      entry = { messages: [], pending: [], atPresent: false, hasOlder: true, hasNewer: false, loading: false, error: null };
      logs.set(channelId, entry);
      // Forget the least recently opened channels beyond the limit (Map keeps insertion order).
      while (logs.size > KEPT_CHANNELS) logs.delete(logs.keys().next().value!);
    }
    return logs.get(channelId)!;
  }

  async function load(channelId: Snowflake, query: Parameters<typeof fetchPage>[1], apply: (entry: ChannelLog, page: Message[]) => void): Promise<void> {
    const entry = log(channelId);
    if (entry.loading) return;
    entry.loading = true;
    entry.error = null;
    try {
      apply(entry, await fetchPage(channelId, query));
    } catch (error) {
      entry.error = errorMessage(error);
    } finally {
      entry.loading = false;
    }
  }

  /** Shows the newest messages (cached ones at once, then the fresh page). */
  function openLatest(channelId: Snowflake): Promise<void> {
    return load(channelId, { limit: PAGE }, (entry, page) => {
      entry.messages = page;
      entry.atPresent = true;
      entry.hasNewer = false;
      entry.hasOlder = page.length === PAGE;
    });
  }

  function loadOlder(channelId: Snowflake): Promise<void> {
    const entry = log(channelId);
    if (!entry.hasOlder || !entry.messages.length) return Promise.resolve();
    return load(channelId, { limit: PAGE, before: entry.messages[0]!.id }, (e, page) => {
      e.messages = [...page, ...e.messages];
      e.hasOlder = page.length === PAGE;
    });
  }

  function loadNewer(channelId: Snowflake): Promise<void> {
    const entry = log(channelId);
    if (entry.atPresent || !entry.messages.length) return Promise.resolve();
    return load(channelId, { limit: PAGE, after: entry.messages.at(-1)!.id }, (e, page) => {
      e.messages = [...e.messages, ...page];
      e.atPresent = page.length < PAGE;
      e.hasNewer = !e.atPresent;
    });
  }

  /** Loads the messages around one (a search result, a reply's original) to show it in context. */
  function jumpTo(channelId: Snowflake, messageId: Snowflake): Promise<void> {
    const entry = log(channelId);
    if (entry.messages.some((m) => m.id === messageId)) return Promise.resolve();
    return load(channelId, { limit: PAGE, around: messageId }, (e, page) => {
      e.messages = page;
      e.hasOlder = true;
      e.atPresent = false;
      e.hasNewer = true;
    });
  }

  /** Sends optimistically: the message shows at once as pending, then confirmed or failed. */
  async function send(channelId: Snowflake, content: string, replyTo: Snowflake | null = null, files: File[] = []): Promise<void> {
    const entry = log(channelId);
    const pending: PendingMessage = { nonce: newNonce(), content, replyTo, state: 'sending', error: null };
    entry.pending.push(pending);
    await deliver(channelId, pending, files);
  }

  async function deliver(channelId: Snowflake, pending: PendingMessage, files: File[]): Promise<void> {
    const entry = log(channelId);
    const target = entry.pending.find((p) => p.nonce === pending.nonce)!;
    target.state = 'sending';
    target.error = null;
    try {
      const message = await api.request(routes.messages.create, {
        params: { channel_id: channelId },
        body: { content: pending.content, nonce: pending.nonce, ...(pending.replyTo && { message_reference: { message_id: pending.replyTo } }) },
        ...(files.length && { files }),
      });
      confirm(channelId, message);
    } catch (error) {
      target.state = 'failed';
      target.error = errorMessage(error);
    }
  }

  function retry(channelId: Snowflake, nonce: string): Promise<void> {
    const pending = log(channelId).pending.find((p) => p.nonce === nonce);
    return pending ? deliver(channelId, pending, []) : Promise.resolve();
  }

  function discard(channelId: Snowflake, nonce: string): void {
    const entry = log(channelId);
    entry.pending = entry.pending.filter((p) => p.nonce !== nonce);
  }

  /** A message arrived (REST answer or gateway event): added once, its pending twin removed. */
  function confirm(channelId: Snowflake, message: Message): void {
    const entry = logs.get(channelId);
    if (!entry) return;
    if (message.nonce !== undefined) entry.pending = entry.pending.filter((p) => p.nonce !== String(message.nonce));
    if (!entry.atPresent || entry.messages.some((m) => m.id === message.id)) return;
    entry.messages.push(message);
  }

  function update(message: Message): void {
    const entry = logs.get(message.channel_id);
    const index = entry?.messages.findIndex((m) => m.id === message.id) ?? -1;
    // Gateway updates carry no per-viewer reaction state: keep what we know.
    if (entry && index >= 0) entry.messages[index] = { ...message, reactions: entry.messages[index]!.reactions };
  }

  function remove(channelId: Snowflake, messageId: Snowflake): void {
    const entry = logs.get(channelId);
    if (entry) entry.messages = entry.messages.filter((m) => m.id !== messageId);
  }

  function react(channelId: Snowflake, messageId: Snowflake, emoji: string, userId: Snowflake, delta: 1 | -1): void {
    const message = logs.get(channelId)?.messages.find((m) => m.id === messageId);
    if (!message) return;
    const mine = userId === realtime.me?.id;
    const reactions = [...(message.reactions ?? [])];
    const index = reactions.findIndex((r) => r.emoji.name === emoji);
    if (index < 0 && delta > 0) {
      reactions.push({ count: 1, count_details: { burst: 0, normal: 1 }, me: mine, me_burst: false, burst_colors: [], emoji: { id: null, name: emoji } });
    } else if (index >= 0) {
      const r = reactions[index]!;
      const count = r.count + delta;
      if (count <= 0) reactions.splice(index, 1);
      else reactions[index] = { ...r, count, count_details: { burst: 0, normal: count }, me: mine ? delta > 0 : r.me };
    }
    message.reactions = reactions;
  }

  realtime.on('MESSAGE_CREATE', (m) => confirm(m.channel_id, m));
  realtime.on('MESSAGE_UPDATE', update);
  realtime.on('MESSAGE_DELETE', ({ channel_id, id }) => remove(channel_id, id));
  realtime.on('MESSAGE_REACTION_ADD', (r) => react(r.channel_id, r.message_id, r.emoji.name, r.user_id, 1));
  realtime.on('MESSAGE_REACTION_REMOVE', (r) => react(r.channel_id, r.message_id, r.emoji.name, r.user_id, -1));
  // The session could not be resumed, so events may have been missed: cached pages are stale.
  realtime.on('invalidated', () => {
    for (const entry of logs.values()) entry.atPresent = false;
  });

  return { logs, log, openLatest, loadOlder, loadNewer, jumpTo, send, retry, discard };
});

function fetchPage(channelId: Snowflake, query: { limit: number; before?: Snowflake; after?: Snowflake; around?: Snowflake }): Promise<Message[]> {
  // The API answers newest first; the view wants oldest first.
  return api.request(routes.messages.list, { params: { channel_id: channelId }, query }).then((page) => page.reverse());
}

function newNonce(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
