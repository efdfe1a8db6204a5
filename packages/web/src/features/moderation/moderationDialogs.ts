import type { Member, Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

/** A moderation dialog asked for: what to do, to whom, in which server. */
export interface ModerationRequest {
  action: 'timeout' | 'kick' | 'ban';
  guildId: Snowflake;
  member: Member;
}

/**
 * The moderation dialog of the chat screens: a profile card (a popover, which closes when a
 * dialog takes the focus) asks here, and ModerationDialogHost shows the dialog.
 */
export const useModerationDialogs = defineStore('moderationDialogs', () => {
  const request = shallowRef<ModerationRequest | null>(null);
  return {
    request,
    open: (next: ModerationRequest) => (request.value = next),
    close: () => (request.value = null),
  };
});
