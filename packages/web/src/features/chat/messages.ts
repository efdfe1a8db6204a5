import { type Message, type Snowflake, routes } from '@parley/protocol';
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { api, errorMessage } from '../../api';
import { newNonce, sendMessage } from '@parley/sdk';
import { useRealtime } from '../realtime/store';
import { type FilePreview, previewFiles, releasePreviews } from './uploads';

/** A message the user sent that the server has not confirmed yet (or refused). */
export interface PendingMessage {
  nonce: string;
  content: string;
  replyTo: Snowflake | null;
  /** The files going with it, kept so a failed or cancelled send can be retried. */
  files: File[];
  previews: FilePreview[];
  state: 'sending' | 'failed';
  error: string | null;
  /** Share of the upload sent (0–1) while files are on their way; null without files. */
  progress: number | null;
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
  /** Bumped when the run is replaced (open, jump): pages asked for before then are dropped. */
  version: number;
  /**
   * Live messages that arrived while a page was on its way: the page may have been read before
   * they were written, so they are added to it when it lands (if it reaches the present).
   * Null when no load is in flight.
   */
  arrivedDuringLoad: Message[] | null;
}

/** A request to show a message in context, picked up by the channel's message list. */
export interface JumpRequest {
  channelId: Snowflake;
  messageId: Snowflake;
}

export const PAGE = 50;
/** Channels kept in memory; opening one of them shows its messages at once, then refreshes. */
const KEPT_CHANNELS = 30;

type PageQuery = { limit: number; before?: Snowflake; after?: Snowflake; around?: Snowflake };

/** Messages of every channel the user opened, kept in step with the gateway. */
export const useMessages = defineStore('messages', () => {
  const logs = reactive(new Map<Snowflake, ChannelLog>());
  const jumpRequest = ref<JumpRequest | null>(null);
  /** Cancels the upload of a pending message, by nonce. */
  const uploads = new Map<string, AbortController>();
  const realtime = useRealtime();

  function log(channelId: Snowflake): ChannelLog {
    let entry = logs.get(channelId);
    if (!entry) {
      entry = { messages: [], pending: [], atPresent: false, hasOlder: true, hasNewer: false, loading: false, error: null, version: 0, arrivedDuringLoad: null };
      logs.set(channelId, entry);
      // Forget the least recently opened channels beyond the limit (Map keeps insertion order).
      while (logs.size > KEPT_CHANNELS) logs.delete(logs.keys().next().value!);
    }
    return logs.get(channelId)!;
  }

  /**
   * Fetches a page and applies it. Loads that extend the run (older, newer) wait their turn;
   * loads that replace it (open, jump) go ahead and make pages still on their way stale.
   */
  async function load(channelId: Snowflake, query: PageQuery, apply: (entry: ChannelLog, page: Message[]) => void, replaces = false): Promise<void> {
    const entry = log(channelId);
    if (entry.loading && !replaces) return;
    const version = replaces ? ++entry.version : entry.version;
    if (replaces) entry.arrivedDuringLoad = [];
    else entry.arrivedDuringLoad ??= [];
    entry.loading = true;
    entry.error = null;
    try {
      const page = await fetchPage(channelId, query);
      if (entry.version !== version) return;
      apply(entry, page);
      if (entry.atPresent) for (const message of entry.arrivedDuringLoad ?? []) insertInOrder(entry.messages, message);
    } catch (error) {
      if (entry.version === version) entry.error = errorMessage(error);
    } finally {
      if (entry.version === version) {
        entry.loading = false;
        entry.arrivedDuringLoad = null;
      }
    }
  }

  /** Shows the newest messages: cached ones at once, then the fresh page joined onto them. */
  function openLatest(channelId: Snowflake): Promise<void> {
    // Opening makes the channel the most recently used one.
    const cached = logs.get(channelId);
    if (cached) {
      logs.delete(channelId);
      logs.set(channelId, cached);
    }
    return load(
      channelId,
      { limit: PAGE },
      (entry, page) => {
        const joined = joinLatest(entry.messages, page);
        entry.messages = joined ?? page;
        entry.hasOlder = page.length === PAGE && (joined ? entry.hasOlder : true);
        entry.atPresent = true;
        entry.hasNewer = false;
      },
      true,
    );
  }

  function loadOlder(channelId: Snowflake): Promise<void> {
    const entry = log(channelId);
    const oldest = entry.messages[0];
    if (!entry.hasOlder || !oldest) return Promise.resolve();
    return load(channelId, { limit: PAGE, before: oldest.id }, (e, page) => {
      e.messages = [...page, ...e.messages];
      e.hasOlder = page.length === PAGE;
    });
  }

  function loadNewer(channelId: Snowflake): Promise<void> {
    const entry = log(channelId);
    const newest = entry.messages.at(-1);
    if (entry.atPresent || !newest) return Promise.resolve();
    return load(channelId, { limit: PAGE, after: newest.id }, (e, page) => {
      const known = new Set(e.messages.map((m) => m.id));
      e.messages = [...e.messages, ...page.filter((m) => !known.has(m.id))];
      e.atPresent = page.length < PAGE;
      e.hasNewer = !e.atPresent;
    });
  }

  /**
   * Loads the messages around one (a search result, a reply's original, a pin) to show it in
   * context. Resolves to whether the message exists in the loaded run.
   */
  async function jumpTo(channelId: Snowflake, messageId: Snowflake): Promise<boolean> {
    const entry = log(channelId);
    if (entry.messages.some((m) => m.id === messageId)) return true;
    await load(
      channelId,
      { limit: PAGE, around: messageId },
      (e, page) => {
        const { hasOlder, hasNewer } = aroundEdges(page, messageId);
        e.messages = page;
        e.hasOlder = hasOlder;
        e.hasNewer = hasNewer;
        e.atPresent = !hasNewer;
      },
      true,
    );
    return entry.messages.some((m) => m.id === messageId);
  }

  /** Asks the list showing a channel (now or once it opens) to bring a message into view. */
  function requestJump(channelId: Snowflake, messageId: Snowflake): void {
    jumpRequest.value = { channelId, messageId };
  }

  /** Sends optimistically: the message shows at once as pending, then confirmed or failed. */
  async function send(channelId: Snowflake, content: string, replyTo: Snowflake | null = null, files: File[] = []): Promise<void> {
    const entry = log(channelId);
    const pending: PendingMessage = {
      nonce: newNonce(),
      content,
      replyTo,
      files,
      previews: previewFiles(files),
      state: 'sending',
      error: null,
      progress: files.length ? 0 : null,
    };
    entry.pending.push(pending);
    await deliver(channelId, pending.nonce);
  }

  async function deliver(channelId: Snowflake, nonce: string): Promise<void> {
    const entry = log(channelId);
    const target = entry.pending.find((p) => p.nonce === nonce);
    if (!target) return;
    target.state = 'sending';
    target.error = null;
    const body = { content: target.content, nonce, ...(target.replyTo && { message_reference: { message_id: target.replyTo } }) };
    try {
      let message: Message;
      if (target.files.length) {
        const controller = new AbortController();
        uploads.set(nonce, controller);
        target.progress = 0;
        message = await sendMessage(api, channelId, body, {
          files: target.files,
          signal: controller.signal,
          onProgress: (sent, total) => (target.progress = total ? sent / total : null),
        });
      } else {
        message = await sendMessage(api, channelId, body);
      }
      confirm(channelId, message);
    } catch (error) {
      target.state = 'failed';
      target.error = error instanceof DOMException && error.name === 'AbortError' ? 'Upload cancelled.' : errorMessage(error);
    } finally {
      uploads.delete(nonce);
    }
  }

  function retry(channelId: Snowflake, nonce: string): Promise<void> {
    return deliver(channelId, nonce);
  }

  /** Stops a message's upload; it stays as failed, to retry or discard. */
  function cancelUpload(nonce: string): void {
    uploads.get(nonce)?.abort();
  }

  function discard(channelId: Snowflake, nonce: string): void {
    const entry = log(channelId);
    const gone = entry.pending.find((p) => p.nonce === nonce);
    if (gone) releasePreviews(gone.previews);
    entry.pending = entry.pending.filter((p) => p.nonce !== nonce);
  }

  /** A message arrived (REST answer or gateway event): added once, its pending twin removed. */
  function confirm(channelId: Snowflake, message: Message): void {
    const entry = logs.get(channelId);
    if (!entry) return;
    if (message.nonce !== undefined) {
      const twin = entry.pending.find((p) => p.nonce === String(message.nonce));
      if (twin) {
        releasePreviews(twin.previews);
        entry.pending = entry.pending.filter((p) => p !== twin);
      }
    }
    entry.arrivedDuringLoad?.push(message);
    if (entry.atPresent) insertInOrder(entry.messages, message);
  }

  function update(message: Message): void {
    const entry = logs.get(message.channel_id);
    const index = entry?.messages.findIndex((m) => m.id === message.id) ?? -1;
    // Gateway updates carry no per-viewer reaction state: keep what we know.
    if (entry && index >= 0) entry.messages[index] = { ...message, reactions: entry.messages[index]!.reactions };
  }

  function remove(channelId: Snowflake, messageId: Snowflake): void {
    const entry = logs.get(channelId);
    if (!entry) return;
    entry.messages = entry.messages.filter((m) => m.id !== messageId);
    if (entry.arrivedDuringLoad) entry.arrivedDuringLoad = entry.arrivedDuringLoad.filter((m) => m.id !== messageId);
  }

  function find(channelId: Snowflake, messageId: Snowflake): Message | undefined {
    return logs.get(channelId)?.messages.find((m) => m.id === messageId);
  }

  function react(channelId: Snowflake, messageId: Snowflake, emoji: string, userId: Snowflake, delta: 1 | -1): void {
    const message = find(channelId, messageId);
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
  realtime.on('MESSAGE_DELETE_BULK', ({ channel_id, ids }) => ids.forEach((id) => remove(channel_id, id)));
  realtime.on('MESSAGE_REACTION_ADD', (r) => react(r.channel_id, r.message_id, r.emoji.name, r.user_id, 1));
  realtime.on('MESSAGE_REACTION_REMOVE', (r) => react(r.channel_id, r.message_id, r.emoji.name, r.user_id, -1));
  realtime.on('MESSAGE_REACTION_REMOVE_ALL', ({ channel_id, message_id }) => {
    const message = find(channel_id, message_id);
    if (message) message.reactions = [];
  });
  // The session could not be resumed, so events may have been missed: cached pages are stale.
  // A list showing one of them fetches what came after its newest message.
  realtime.on('invalidated', () => {
    for (const entry of logs.values()) {
      entry.atPresent = false;
      entry.hasNewer = true;
    }
  });

  return { logs, jumpRequest, log, openLatest, loadOlder, loadNewer, jumpTo, requestJump, send, retry, cancelUpload, discard };
});

/**
 * The cached run with the newest page joined onto it, when the two meet (the page starts
 * inside the run); null when they do not, and the page has to replace the run.
 */
export function joinLatest(cached: readonly Message[], page: readonly Message[]): Message[] | null {
  const first = page[0];
  const oldest = cached[0];
  const newest = cached.at(-1);
  if (!first || !oldest || !newest) return null;
  if (BigInt(first.id) < BigInt(oldest.id) || BigInt(first.id) > BigInt(newest.id)) return null;
  return [...cached.filter((m) => BigInt(m.id) < BigInt(first.id)), ...page];
}

/**
 * Adds a message to a run in ID order, once: a message sent with files can be confirmed after
 * others sent later reached us.
 */
function insertInOrder(messages: Message[], message: Message): void {
  const id = BigInt(message.id);
  let at = messages.length;
  while (at > 0 && BigInt(messages[at - 1]!.id) > id) at--;
  if (messages[at - 1]?.id !== message.id) messages.splice(at, 0, message);
}

/**
 * Whether an `around` page (oldest first) stops short of the channel's start or end: the
 * server fills half of it with the target and older messages and the rest with newer ones.
 */
export function aroundEdges(page: readonly Message[], targetId: Snowflake): { hasOlder: boolean; hasNewer: boolean } {
  const half = Math.ceil(PAGE / 2);
  const target = BigInt(targetId);
  const older = page.filter((m) => BigInt(m.id) <= target).length;
  return { hasOlder: older >= half, hasNewer: page.length - older >= PAGE - half };
}

function fetchPage(channelId: Snowflake, query: PageQuery): Promise<Message[]> {
  // The API answers newest first; the view wants oldest first.
  return api.request(routes.messages.list, { params: { channel_id: channelId }, query }).then((page) => page.reverse());
}
