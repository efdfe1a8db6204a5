import { type Channel, ChannelType, type Message, type ReadState, type Snowflake, routes } from '@parley/protocol';
import type { CacheState } from './cache';
import type { GatewayEvents } from './gateway';
import { mentionsMe } from './mentions';
import type { RestClient } from './rest';

/** What unread counting reads from the cache (its read states are where counts are kept). */
export type UnreadCache = Pick<CacheState, 'user' | 'guilds' | 'members' | 'channels' | 'readStates'>;

/** Where new messages come from: a GatewayClient, or anything relaying its events. */
export interface UnreadEventSource {
  on(name: 'MESSAGE_CREATE', listener: (payload: GatewayEvents['MESSAGE_CREATE']) => void): () => void;
}

export interface UnreadOptions {
  /** The cache to count in (a function: a client may replace its cache on reconnect or sign-in). */
  cache: () => UnreadCache | null;
  /** Whether the user is looking at a channel's newest messages now: what arrives there is read at once. */
  isViewing?: (channelId: Snowflake) => boolean;
  /** Acks are batched per channel, sent this long after the last markRead (default 400 ms). */
  ackDelayMs?: number;
}

/**
 * Unread and mention counts per channel, from READY's read states (the cache's `readStates`,
 * which MESSAGE_ACK from any of the user's devices moves forward), counted up as messages
 * arrive; marking a channel read updates it here at once and acks it to the server (batched).
 * Your own messages are read by definition; in a DM every message counts as a mention.
 */
export class UnreadTracker {
  /** Acks waiting to be sent, per channel (one per channel however fast messages come). */
  private readonly ackTimers = new Map<Snowflake, ReturnType<typeof setTimeout>>();
  private readonly stop: () => void;

  constructor(
    private readonly rest: RestClient,
    events: UnreadEventSource,
    private readonly options: UnreadOptions,
  ) {
    this.stop = events.on('MESSAGE_CREATE', (message) => this.onMessage(message));
  }

  /** Stops following the gateway and drops acks not sent yet. */
  close(): void {
    this.stop();
    for (const timer of this.ackTimers.values()) clearTimeout(timer);
    this.ackTimers.clear();
  }

  private stateOf(channelId: Snowflake): ReadState | undefined {
    return this.options.cache()?.readStates.get(channelId);
  }

  /** Whether a channel has messages after the last read one. */
  isUnread(channel: Channel): boolean {
    if (!channel.last_message_id) return false;
    const read = this.stateOf(channel.id)?.last_message_id;
    return !read || BigInt(channel.last_message_id) > BigInt(read);
  }

  /** Unread mentions in a channel (in a DM: unread messages). */
  mentions(channelId: Snowflake): number {
    return this.stateOf(channelId)?.mention_count ?? 0;
  }

  /** Total mentions in a guild's channels (a server icon's badge). */
  guildMentions(guildId: Snowflake): number {
    let total = 0;
    for (const channel of this.options.cache()?.channels.values() ?? []) if (channel.guild_id === guildId) total += this.mentions(channel.id);
    return total;
  }

  /** Whether any channel of a guild that the user reads (not a category, a private one only if joined) is unread. */
  guildUnread(guildId: Snowflake): boolean {
    for (const channel of this.options.cache()?.channels.values() ?? []) {
      if (channel.guild_id === guildId && channel.type !== ChannelType.GUILD_CATEGORY && (!channel.private || channel.joined) && this.isUnread(channel)) return true;
    }
    return false;
  }

  /** Unread DMs and mentions everywhere (a tab title's or app icon's number). */
  totalMentions(): number {
    let total = 0;
    for (const state of this.options.cache()?.readStates.values() ?? []) total += state.mention_count;
    return total;
  }

  /** Marks a channel read up to a message, here at once and (through the server) on every device. */
  markRead(channelId: Snowflake, messageId: Snowflake): void {
    const map = this.options.cache()?.readStates;
    const current = map?.get(channelId);
    if (current?.last_message_id && BigInt(current.last_message_id) >= BigInt(messageId) && current.unread_count === 0) return;
    map?.set(channelId, { id: channelId, last_message_id: messageId, unread_count: 0, mention_count: 0 });
    // Batched: scrolling through a busy channel should not send an ack per message.
    this.cancelAck(channelId);
    this.ackTimers.set(
      channelId,
      setTimeout(() => {
        this.ackTimers.delete(channelId);
        void this.rest.request(routes.messages.ack, { params: { channel_id: channelId, message_id: messageId } }).catch(() => undefined);
      }, this.options.ackDelayMs ?? 400),
    );
  }

  private onMessage(message: Message): void {
    const cache = this.options.cache();
    const map = cache?.readStates;
    if (!cache || !map || message.author.id === cache.user?.id) {
      // Your own message is read by definition (the server records that too). An ack still
      // waiting to go is for an older message: sent now, it would move the server's read
      // position back before your message, and it would show as new on your next visit.
      this.cancelAck(message.channel_id);
      map?.set(message.channel_id, { id: message.channel_id, last_message_id: message.id, unread_count: 0, mention_count: 0 });
      return;
    }
    if (this.options.isViewing?.(message.channel_id)) {
      this.markRead(message.channel_id, message.id);
      return;
    }
    const current = map.get(message.channel_id) ?? { id: message.channel_id, last_message_id: null, unread_count: 0, mention_count: 0 };
    const isDm = !message.guild_id;
    map.set(message.channel_id, {
      ...current,
      unread_count: current.unread_count + 1,
      // In DMs every message counts as a mention, as in Discord.
      mention_count: current.mention_count + (isDm || mentionsMe(cache, message) ? 1 : 0),
    });
  }

  private cancelAck(channelId: Snowflake): void {
    const timer = this.ackTimers.get(channelId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.ackTimers.delete(channelId);
  }
}
