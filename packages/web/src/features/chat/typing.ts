import type { Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { useRealtime } from '../realtime/store';

/** How long a TYPING_START counts, as in Discord (clients repeat it while typing continues). */
const TYPING_MS = 10_000;

/** Who is typing where: TYPING_START events, expiring on their own or when the message arrives. */
export const useTyping = defineStore('typing', () => {
  const realtime = useRealtime();
  /** channel → user → when the indicator lapses. */
  const typing = reactive(new Map<Snowflake, Map<Snowflake, number>>());
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  function stop(channelId: Snowflake, userId: Snowflake): void {
    typing.get(channelId)?.delete(userId);
    const key = `${channelId}:${userId}`;
    clearTimeout(timers.get(key));
    timers.delete(key);
  }

  realtime.on('TYPING_START', ({ channel_id, user_id }) => {
    if (user_id === realtime.me?.id) return;
    let users = typing.get(channel_id);
    if (!users) typing.set(channel_id, (users = new Map()));
    users.set(user_id, Date.now() + TYPING_MS);
    const key = `${channel_id}:${user_id}`;
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => stop(channel_id, user_id), TYPING_MS),
    );
  });
  // Their message arrived: they stopped typing.
  realtime.on('MESSAGE_CREATE', (m) => stop(m.channel_id, m.author.id));

  function typingIn(channelId: Snowflake): Snowflake[] {
    return [...(typing.get(channelId)?.keys() ?? [])];
  }

  return { typingIn };
});
