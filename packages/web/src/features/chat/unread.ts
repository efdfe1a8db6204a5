import { type Channel, ChannelType, type Message, type ReadState, type Snowflake, routes } from '@parley/protocol';
import { mentionsMe as sdkMentionsMe } from '@parley/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../../api';
import { useRealtime } from '../realtime/store';

/**
 * Unread and mention counts per channel, from READY's read states, kept current as messages
 * arrive and as any of the user's devices marks a channel read. The channel on screen (while
 * the tab is visible and scrolled to the bottom) is marked read as messages come in.
 */
export const useUnread = defineStore('unread', () => {
  const realtime = useRealtime();
  /** The channel the user is looking at, when its newest messages are in view. */
  const viewing = ref<Snowflake | null>(null);
  /** Acks waiting to be sent, per channel (batched: one per channel however fast messages come). */
  const ackTimers = new Map<Snowflake, ReturnType<typeof setTimeout>>();

  const states = () => realtime.cache?.readStates;

  function stateOf(channelId: Snowflake): ReadState | undefined {
    return states()?.get(channelId);
  }

  /** Whether a channel has messages after the last read one. */
  function isUnread(channel: Channel): boolean {
    if (!channel.last_message_id) return false;
    const read = stateOf(channel.id)?.last_message_id;
    return !read || BigInt(channel.last_message_id) > BigInt(read);
  }

  function mentions(channelId: Snowflake): number {
    return stateOf(channelId)?.mention_count ?? 0;
  }

  function mentionsMe(message: Message): boolean {
    return realtime.cache ? sdkMentionsMe(realtime.cache, message) : false;
  }

  function onMessage(message: Message): void {
    const map = states();
    if (!map || message.author.id === realtime.me?.id) {
      // Your own message is read by definition (the server records that too). An ack still
      // waiting to go is for an older message: sent now, it would move the server's read
      // position back before your message, and it would show as new on your next visit.
      cancelAck(message.channel_id);
      map?.set(message.channel_id, { id: message.channel_id, last_message_id: message.id, unread_count: 0, mention_count: 0 });
      return;
    }
    if (viewing.value === message.channel_id && document.visibilityState === 'visible') {
      markRead(message.channel_id, message.id);
      return;
    }
    const current = map.get(message.channel_id) ?? { id: message.channel_id, last_message_id: null, unread_count: 0, mention_count: 0 };
    const isDm = !message.guild_id;
    map.set(message.channel_id, {
      ...current,
      unread_count: current.unread_count + 1,
      // In DMs every message counts as a mention, as in Discord.
      mention_count: current.mention_count + (isDm || mentionsMe(message) ? 1 : 0),
    });
  }

  /** Marks a channel read up to a message, here and (through the server) on every device. */
  function markRead(channelId: Snowflake, messageId: Snowflake): void {
    const map = states();
    const current = map?.get(channelId);
    if (current?.last_message_id && BigInt(current.last_message_id) >= BigInt(messageId) && current.unread_count === 0) return;
    map?.set(channelId, { id: channelId, last_message_id: messageId, unread_count: 0, mention_count: 0 });
    // Batched: scrolling through a busy channel should not send an ack per message.
    cancelAck(channelId);
    ackTimers.set(
      channelId,
      setTimeout(() => {
        ackTimers.delete(channelId);
        void api.request(routes.messages.ack, { params: { channel_id: channelId, message_id: messageId } }).catch(() => undefined);
      }, 400),
    );
  }

  function cancelAck(channelId: Snowflake): void {
    const timer = ackTimers.get(channelId);
    if (timer === undefined) return;
    clearTimeout(timer);
    ackTimers.delete(channelId);
  }

  /** Total mentions in a guild's channels (for the server rail badge). */
  function guildMentions(guildId: Snowflake): number {
    let total = 0;
    for (const channel of realtime.cache?.channels.values() ?? []) if (channel.guild_id === guildId) total += mentions(channel.id);
    return total;
  }

  function guildUnread(guildId: Snowflake): boolean {
    for (const channel of realtime.cache?.channels.values() ?? []) {
      if (channel.guild_id === guildId && channel.type !== ChannelType.GUILD_CATEGORY && (!channel.private || channel.joined) && isUnread(channel)) return true;
    }
    return false;
  }

  /** Unread DMs and mentions everywhere: the number in the tab title and on the favicon. */
  function totalMentions(): number {
    let total = 0;
    for (const state of states()?.values() ?? []) total += state.mention_count;
    return total;
  }

  realtime.on('MESSAGE_CREATE', onMessage);

  return { viewing, isUnread, mentions, markRead, guildMentions, guildUnread, totalMentions, mentionsMe };
});
