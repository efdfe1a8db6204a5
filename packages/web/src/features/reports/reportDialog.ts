import type { Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

/** What someone asked to report: a message (with a preview to show) or a person. */
export type ReportRequest =
  | {
      kind: 'message';
      messageId: Snowflake;
      channelId: Snowflake;
      authorName: string;
      preview: string;
      /** An end-to-end encrypted message: its text and franking key, which prove to moderators that the author sent it. */
      reveal?: { content: string; franking_key: string };
    }
  | { kind: 'user'; userId: Snowflake; name: string };

/**
 * The report dialog of the chat screens: a message's actions or a profile card (a popover,
 * which closes when a dialog takes the focus) ask here, and ReportDialogHost shows the dialog,
 * loaded on first use.
 */
export const useReportDialog = defineStore('reportDialog', () => {
  const request = shallowRef<ReportRequest | null>(null);
  return {
    request,
    open: (next: ReportRequest) => (request.value = next),
    close: () => (request.value = null),
  };
});
