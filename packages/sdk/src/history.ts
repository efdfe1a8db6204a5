import { type Message, type Snowflake, reactionKeyOf, routes } from '@parley/protocol';
import { errorText } from './errors';
import type { GatewayEvents } from './gateway';
import type { RestClient } from './rest';

/**
 * One channel's loaded history: a contiguous run of messages, oldest first. `atPresent` says
 * the run reaches the newest message, so live messages can be appended to it; after a jump
 * into the past it does not, until the reader pages (or jumps) back down.
 */
export interface ChannelLog {
  messages: Message[];
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

/** Everything the history holds, in one object so a UI framework can make it reactive. */
export interface HistoryState {
  /** Loaded runs by channel, least recently opened first. */
  channels: Map<Snowflake, ChannelLog>;
}

type HistoryEventName =
  'MESSAGE_CREATE' | 'MESSAGE_UPDATE' | 'MESSAGE_DELETE' | 'MESSAGE_DELETE_BULK' | 'MESSAGE_REACTION_ADD' | 'MESSAGE_REACTION_REMOVE' | 'MESSAGE_REACTION_REMOVE_ALL' | 'invalidated';

/** Where live message events come from: a GatewayClient, or anything relaying its events. */
export interface HistoryEventSource {
  on<K extends HistoryEventName>(name: K, listener: (payload: GatewayEvents[K]) => void): () => void;
}

export interface HistoryOptions {
  /** Wraps the state on creation, e.g. Vue's `reactive`, so views update as pages and events arrive. */
  reactive?: <T extends object>(state: T) => T;
  /** The signed-in user's ID (whose reactions are "mine"). */
  me?: () => Snowflake | null;
  /** A failed load as the reader should see it (default: the error's message). */
  describeError?: (error: unknown) => string;
  /** Channels kept in memory (default 30); the least recently opened are forgotten first. */
  keptChannels?: number;
}

/** Messages per page (the API's default and the size `around` pages are split by). */
export const HISTORY_PAGE = 50;

type PageQuery = { limit: number; before?: Snowflake; after?: Snowflake; around?: Snowflake };

/**
 * Message history per channel, kept in step with the gateway: pages older and newer (and
 * around a message), adds, edits and removes live messages and reactions, and after a session
 * that could not be resumed marks every run as possibly missing its newest part, so the next
 * `loadNewer` (or `openLatest`) fills the gap.
 */
export class MessageHistory {
  readonly state: HistoryState;
  private readonly stops: (() => void)[];

  constructor(
    private readonly rest: RestClient,
    events: HistoryEventSource,
    private readonly options: HistoryOptions = {},
  ) {
    const state: HistoryState = { channels: new Map() };
    this.state = options.reactive ? options.reactive(state) : state;
    this.stops = [
      events.on('MESSAGE_CREATE', (message) => this.add(message)),
      events.on('MESSAGE_UPDATE', (message) => this.update(message)),
      events.on('MESSAGE_DELETE', ({ channel_id, id }) => this.remove(channel_id, id)),
      events.on('MESSAGE_DELETE_BULK', ({ channel_id, ids }) => ids.forEach((id) => this.remove(channel_id, id))),
      events.on('MESSAGE_REACTION_ADD', (r) => this.react(r, 1)),
      events.on('MESSAGE_REACTION_REMOVE', (r) => this.react(r, -1)),
      events.on('MESSAGE_REACTION_REMOVE_ALL', ({ channel_id, message_id }) => {
        const message = this.find(channel_id, message_id);
        if (message) message.reactions = [];
      }),
      // The session could not be resumed, so events may have been missed: cached runs may lack
      // their newest messages. A view showing one fetches what came after its newest message.
      events.on('invalidated', () => {
        for (const entry of this.state.channels.values()) {
          entry.atPresent = false;
          entry.hasNewer = true;
        }
      }),
    ];
  }

  /** Stops following the gateway. */
  close(): void {
    for (const stop of this.stops) stop();
  }

  /** A channel's run (an empty one, created, when nothing was loaded yet). */
  log(channelId: Snowflake): ChannelLog {
    const channels = this.state.channels;
    if (!channels.has(channelId)) {
      channels.set(channelId, { messages: [], atPresent: false, hasOlder: true, hasNewer: false, loading: false, error: null, version: 0, arrivedDuringLoad: null });
      // Forget the least recently opened channels beyond the limit (Map keeps insertion order).
      while (channels.size > (this.options.keptChannels ?? 30)) channels.delete(channels.keys().next().value!);
    }
    return channels.get(channelId)!;
  }

  find(channelId: Snowflake, messageId: Snowflake): Message | undefined {
    return this.state.channels.get(channelId)?.messages.find((m) => m.id === messageId);
  }

  /** Shows the newest messages: cached ones at once, then the fresh page joined onto them. */
  openLatest(channelId: Snowflake): Promise<void> {
    // Opening makes the channel the most recently used one.
    const cached = this.state.channels.get(channelId);
    if (cached) {
      this.state.channels.delete(channelId);
      this.state.channels.set(channelId, cached);
    }
    return this.load(
      channelId,
      { limit: HISTORY_PAGE },
      (entry, page) => {
        const joined = joinLatest(entry.messages, page);
        entry.messages = joined ?? page;
        entry.hasOlder = page.length === HISTORY_PAGE && (joined ? entry.hasOlder : true);
        entry.atPresent = true;
        entry.hasNewer = false;
      },
      true,
    );
  }

  /** Loads the page before the oldest loaded message. */
  async loadOlder(channelId: Snowflake): Promise<void> {
    const entry = this.log(channelId);
    const oldest = entry.messages[0];
    if (entry.hasOlder && oldest)
      await this.load(channelId, { limit: HISTORY_PAGE, before: oldest.id }, (e, page) => {
        e.messages = [...page, ...e.messages];
        e.hasOlder = page.length === HISTORY_PAGE;
      });
  }

  /** Loads the page after the newest loaded message (after a jump, or to fill a gap after a new session). */
  async loadNewer(channelId: Snowflake): Promise<void> {
    const entry = this.log(channelId);
    const newest = entry.messages.at(-1);
    if (!entry.atPresent && newest)
      await this.load(channelId, { limit: HISTORY_PAGE, after: newest.id }, (e, page) => {
        const known = new Set(e.messages.map((m) => m.id));
        e.messages = [...e.messages, ...page.filter((m) => !known.has(m.id))];
        e.atPresent = page.length < HISTORY_PAGE;
        e.hasNewer = !e.atPresent;
      });
  }

  /**
   * Loads the messages around one (a search result, a reply's original, a pin) to show it in
   * context. Resolves to whether the message exists in the loaded run.
   */
  async jumpTo(channelId: Snowflake, messageId: Snowflake): Promise<boolean> {
    const entry = this.log(channelId);
    if (entry.messages.some((m) => m.id === messageId)) return true;
    await this.load(
      channelId,
      { limit: HISTORY_PAGE, around: messageId },
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

  /** A message arrived (gateway event, or the answer to a send): added once, in ID order, if the run reaches the present. */
  add(message: Message): void {
    const entry = this.state.channels.get(message.channel_id);
    if (!entry) return;
    entry.arrivedDuringLoad?.push(message);
    if (entry.atPresent) insertInOrder(entry.messages, message);
  }

  private update(message: Message): void {
    const entry = this.state.channels.get(message.channel_id);
    const index = entry?.messages.findIndex((m) => m.id === message.id) ?? -1;
    // Gateway updates carry no per-viewer reaction state: keep what we know.
    if (entry && index >= 0) entry.messages[index] = { ...message, reactions: entry.messages[index]!.reactions };
  }

  private remove(channelId: Snowflake, messageId: Snowflake): void {
    const entry = this.state.channels.get(channelId);
    if (!entry) return;
    entry.messages = entry.messages.filter((m) => m.id !== messageId);
    if (entry.arrivedDuringLoad) entry.arrivedDuringLoad = entry.arrivedDuringLoad.filter((m) => m.id !== messageId);
  }

  private react({ channel_id, message_id, emoji, user_id }: GatewayEvents['MESSAGE_REACTION_ADD'], delta: 1 | -1): void {
    const message = this.find(channel_id, message_id);
    if (!message) return;
    const mine = user_id === this.options.me?.();
    const reactions = [...(message.reactions ?? [])];
    const index = reactions.findIndex((r) => reactionKeyOf(r.emoji) === reactionKeyOf(emoji));
    if (index < 0 && delta > 0) {
      reactions.push({ count: 1, count_details: { burst: 0, normal: 1 }, me: mine, me_burst: false, burst_colors: [], emoji });
    } else if (index >= 0) {
      const r = reactions[index]!;
      const count = r.count + delta;
      if (count <= 0) reactions.splice(index, 1);
      else reactions[index] = { ...r, count, count_details: { burst: 0, normal: count }, me: mine ? delta > 0 : r.me };
    }
    message.reactions = reactions;
  }

  /**
   * Fetches a page and applies it. Loads that extend the run (older, newer) wait their turn;
   * loads that replace it (open, jump) go ahead and make pages still on their way stale.
   */
  private async load(channelId: Snowflake, query: PageQuery, apply: (entry: ChannelLog, page: Message[]) => void, replaces = false): Promise<void> {
    const entry = this.log(channelId);
    if (entry.loading && !replaces) return;
    const version = replaces ? ++entry.version : entry.version;
    if (replaces) entry.arrivedDuringLoad = [];
    else entry.arrivedDuringLoad ??= [];
    entry.loading = true;
    entry.error = null;
    try {
      // The API answers newest first; a run is oldest first.
      const page = (await this.rest.request(routes.messages.list, { params: { channel_id: channelId }, query })).reverse();
      if (entry.version !== version) return;
      apply(entry, page);
      if (entry.atPresent) for (const message of entry.arrivedDuringLoad ?? []) insertInOrder(entry.messages, message);
    } catch (error) {
      if (entry.version === version) entry.error = (this.options.describeError ?? errorText)(error);
    } finally {
      if (entry.version === version) {
        entry.loading = false;
        entry.arrivedDuringLoad = null;
      }
    }
  }
}

/** Where new sessions are announced: a GatewayClient, or anything relaying its events. */
export interface SessionEventSource {
  on<K extends 'invalidated' | 'READY'>(name: K, listener: (payload: GatewayEvents[K]) => void): () => void;
}

/**
 * After a session that could not be resumed (the server restarted, or the client was away too
 * long), READY starts a fresh one: the channel on screen reloads its newest page, joined onto
 * what it shows. Joining (not "the page after the newest shown") also fills a gap hidden behind
 * a message added meanwhile, such as a send confirmed over REST before the gateway was back. A
 * resumed session needs nothing: its events were replayed. Returns what stops it.
 */
export function reloadOnNewSession(history: MessageHistory, events: SessionEventSource, openChannel: () => Snowflake | null, reloaded: () => void = () => undefined): () => void {
  let invalidated = false;
  const offInvalid = events.on('invalidated', () => (invalidated = true));
  const offReady = events.on('READY', () => {
    const open = openChannel();
    if (invalidated && open) void history.openLatest(open).then(reloaded);
    invalidated = false;
  });
  return () => {
    offInvalid();
    offReady();
  };
}

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
  const half = Math.ceil(HISTORY_PAGE / 2);
  const target = BigInt(targetId);
  const older = page.filter((m) => BigInt(m.id) <= target).length;
  return { hasOlder: older >= half, hasNewer: page.length - older >= HISTORY_PAGE - half };
}
