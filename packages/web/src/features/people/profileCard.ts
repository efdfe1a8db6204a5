import type { Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

/** Whose profile card is open, and what it is anchored to (the name, avatar or mention clicked). */
export interface ProfileCardTarget {
  userId: Snowflake;
  /** The server it was opened in (nickname, roles), or null in DMs. */
  guildId: Snowflake | null;
  anchor: HTMLElement;
}

/**
 * The one profile card of the chat screens: anything showing a person (member list, message
 * author, mention) opens it with `show`; ProfileCardHost draws it next to what was clicked.
 * Clicking the same thing again closes it.
 */
export const useProfileCard = defineStore('profileCard', () => {
  const target = shallowRef<ProfileCardTarget | null>(null);

  function show(userId: Snowflake, guildId: Snowflake | null, anchor: HTMLElement): void {
    const current = target.value;
    target.value = current && current.anchor === anchor && current.userId === userId ? null : { userId, guildId, anchor };
  }

  function close(): void {
    target.value = null;
  }

  return { target, show, close };
});
