import type { ReportAction, ReportCategory } from '@parley/protocol';

/** The categories a person chooses from, in words. */
export const REPORT_CATEGORIES: readonly { value: ReportCategory; label: string; hint: string }[] = [
  { value: 'harassment', label: 'Harassment or bullying', hint: 'Insults, intimidation, targeting someone' },
  { value: 'threat', label: 'Threats', hint: 'Threats of violence or harm' },
  { value: 'child_sexual_content', label: 'Sexual content involving a minor', hint: 'Reported straight to the people who can act' },
  { value: 'spam', label: 'Spam', hint: 'Unwanted ads, floods, scams' },
  { value: 'other', label: 'Something else', hint: 'Say what in the note' },
];

export function categoryLabel(category: ReportCategory): string {
  return REPORT_CATEGORIES.find((c) => c.value === category)?.label ?? category;
}

/** Each action a reviewer may take, as a button and as a past-tense line. */
export const ACTION_TEXT: Record<ReportAction, { button: string; done: string; danger: boolean }> = {
  dismiss: { button: 'Dismiss', done: 'dismissed it', danger: false },
  delete: { button: 'Delete message', done: 'deleted the message', danger: true },
  timeout: { button: 'Time out', done: 'timed the author out', danger: true },
  kick: { button: 'Kick', done: 'kicked them', danger: true },
  ban: { button: 'Ban', done: 'banned them', danger: true },
  suspend: { button: 'Suspend account', done: 'suspended the account', danger: true },
};
