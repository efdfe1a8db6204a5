import { type Message, type SealedFile, type Snowflake, routes } from '@parley/protocol';
import { fold } from '../composer-text';
import type { GatewayEvents } from '../gateway';
import type { RestClient } from '../rest';
import type { EncryptedConversations } from './conversations';

/*
 * Searching an end-to-end encrypted conversation on the device: the server cannot, so the
 * client keeps its own index of what it opened (kept by a SearchIndexStore, which a client
 * encrypts at rest) and answers the same questions the server's search does: every word, from,
 * has a file or an image, before and after. The index grows as searches page back through the
 * history (bounded per search), and takes in what arrived since the last one; while the client
 * runs, edits replace what was indexed and deletions leave it.
 */

/** One opened message as the index keeps it. */
export interface IndexedMessage {
  /** The message as the server sent it (ciphertext and all), to show as a result. */
  message: Message;
  content: string;
  files: SealedFile[];
}

/** A conversation's index: its messages newest first, and whether it reaches the first message. */
export interface ConversationIndex {
  messages: IndexedMessage[];
  complete: boolean;
}

/** Where a client keeps the indexes between runs (encrypted at rest: they hold the opened text). */
export interface SearchIndexStore {
  load(channelId: Snowflake): Promise<ConversationIndex | null>;
  save(channelId: Snowflake, index: ConversationIndex): Promise<void>;
}

/** The gateway events that change what was indexed: a GatewayClient, or anything relaying its events. */
export interface SearchEventSource {
  on<K extends 'MESSAGE_UPDATE' | 'MESSAGE_DELETE' | 'MESSAGE_DELETE_BULK'>(name: K, listener: (payload: GatewayEvents[K]) => void): () => void;
}

/** What a search asks, as the server's search query does. */
export interface LocalSearchQuery {
  content?: string;
  author_id?: Snowflake;
  has?: 'file' | 'image';
  /** ISO instants. */
  after?: string;
  before?: string;
  limit: number;
  offset: number;
}

/** History read per search at most (pages of 100): a bound on what one search costs. */
const PAGES_PER_SEARCH = 50;
const PAGE = 100;

/** The words of a text as search compares them: case and accents aside (as the server's engines). */
const wordsOf = (text: string) => fold(text).match(/[\p{L}\p{N}\p{Co}]+/gu) ?? [];

export class LocalSearch {
  /** Per conversation, the last change to its index: one at a time, so none saves over another. */
  private readonly turns = new Map<Snowflake, Promise<unknown>>();

  constructor(
    private readonly rest: RestClient,
    private readonly conversations: EncryptedConversations,
    private readonly store: SearchIndexStore,
  ) {}

  /** Keeps the indexes true to the conversations while the client runs. Returns how to stop. */
  follow(events: SearchEventSource): () => void {
    const stops = [
      events.on('MESSAGE_UPDATE', (message) => void this.edited(message).catch(() => undefined)),
      events.on('MESSAGE_DELETE', ({ channel_id, id }) => void this.deleted(channel_id, [id]).catch(() => undefined)),
      events.on('MESSAGE_DELETE_BULK', ({ channel_id, ids }) => void this.deleted(channel_id, ids).catch(() => undefined)),
    ];
    return () => stops.forEach((stop) => stop());
  }

  /** An indexed message that changed is opened again; one the index does not hold is taken in by the next search. */
  edited(message: Message): Promise<void> {
    return this.turn(message.channel_id, async () => {
      const index = await this.store.load(message.channel_id);
      const at = index?.messages.findIndex((m) => m.message.id === message.id) ?? -1;
      if (!index || at < 0) return;
      const before = index.messages[at]!;
      if (before.message.content === message.content && before.message.edited_timestamp === message.edited_timestamp) return;
      const opened = await this.conversations.reveal(message);
      if ('content' in opened) index.messages[at] = { message, content: opened.content, files: opened.files ?? [] };
      // An edit this device cannot open must not leave the old text findable.
      else index.messages.splice(at, 1);
      await this.store.save(message.channel_id, index);
    });
  }

  /** Deleted messages leave the index. */
  deleted(channelId: Snowflake, ids: readonly Snowflake[]): Promise<void> {
    return this.turn(channelId, async () => {
      const index = await this.store.load(channelId);
      if (!index) return;
      const gone = new Set(ids);
      const kept = index.messages.filter((m) => !gone.has(m.message.id));
      if (kept.length === index.messages.length) return;
      await this.store.save(channelId, { ...index, messages: kept });
    });
  }

  /** Matching messages of one encrypted conversation, newest first, each shown with its opened text and file names. */
  async search(channelId: Snowflake, query: LocalSearchQuery): Promise<{ messages: Message[]; total_results: number }> {
    const index = await this.turn(channelId, () => this.update(channelId));
    const words = query.content ? wordsOf(query.content) : [];
    if (query.content && words.length === 0) return { messages: [], total_results: 0 };
    const after = query.after ? Date.parse(query.after) : -Infinity;
    const before = query.before ? Date.parse(query.before) : Infinity;
    const matching = index.messages.filter(({ message, content, files }) => {
      const at = Date.parse(message.timestamp);
      if (at < after || at >= before) return false;
      if (query.author_id && message.author.id !== query.author_id) return false;
      if (query.has === 'file' && files.length === 0) return false;
      if (query.has === 'image' && !files.some((f) => f.content_type.startsWith('image/'))) return false;
      const own = new Set(wordsOf(content));
      return words.every((w) => own.has(w));
    });
    const page = matching.slice(query.offset, query.offset + query.limit);
    return { messages: page.map(shown), total_results: matching.length };
  }

  /** The conversation's index brought up to date: what arrived since, then older history (bounded). */
  private async update(channelId: Snowflake): Promise<ConversationIndex> {
    let index = (await this.store.load(channelId)) ?? { messages: [], complete: false };
    const known = new Set(index.messages.map((m) => m.message.id));
    let pages = 0;
    let reached = known.size === 0;
    const fetched: Message[] = [];
    // Newest first, until a page reaches what the index holds.
    for (let before: Snowflake | undefined; pages < PAGES_PER_SEARCH; pages++) {
      const page = await this.page(channelId, before);
      fetched.push(...page.filter((m) => !known.has(m.id)));
      if (page.some((m) => known.has(m.id)) || page.length < PAGE) {
        reached = true;
        if (page.length < PAGE) index.complete = true;
        break;
      }
      before = page[page.length - 1]!.id;
    }
    // More arrived since than one search reads: the old index would leave a gap, so it starts again from here.
    if (!reached) {
      index = { messages: [], complete: false };
      known.clear();
    }
    // Then older than the oldest indexed, until the first message (or the bound).
    let cursor = index.messages[index.messages.length - 1]?.message.id ?? fetched[fetched.length - 1]?.id;
    for (; !index.complete && cursor && pages < PAGES_PER_SEARCH; pages++) {
      const page = await this.page(channelId, cursor);
      fetched.push(...page.filter((m) => !known.has(m.id)));
      if (page.length < PAGE) index.complete = true;
      cursor = page[page.length - 1]?.id;
    }
    if (fetched.length === 0) return index;
    for (const message of fetched) {
      const opened = await this.conversations.reveal(message);
      // What this device cannot open cannot be searched here.
      if ('content' in opened) index.messages.push({ message, content: opened.content, files: opened.files ?? [] });
      known.add(message.id);
    }
    index.messages.sort((a, b) => (BigInt(b.message.id) > BigInt(a.message.id) ? 1 : -1));
    await this.store.save(channelId, index);
    return index;
  }

  private turn<T>(channelId: Snowflake, work: () => Promise<T>): Promise<T> {
    const next = (this.turns.get(channelId) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.turns.set(channelId, next);
    return next;
  }

  private page(channelId: Snowflake, before: Snowflake | undefined): Promise<Message[]> {
    return this.rest.request(routes.messages.list, { params: { channel_id: channelId }, query: { limit: PAGE, ...(before && { before }) } });
  }
}

/** A result as a search panel shows it: the opened text, and its files under their real names. */
function shown({ message, content, files }: IndexedMessage): Message {
  return { ...message, content, attachments: message.attachments.map((a, i) => ({ ...a, filename: files[i]?.name ?? a.filename, size: files[i]?.size ?? a.size })) };
}
