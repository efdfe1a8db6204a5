import { CUSTOM_EMOJI_IN_TEXT } from '@parley/protocol';

/** How a mention reads on screen: a user's display name, a channel's name, a role's name. */
export interface MentionNames {
  user(id: string): string | null;
  channel(id: string): string | null;
  role(id: string): string | null;
  /** A custom emoji's image path (emojiImagePath), where the client knows it; `:name:` is shown otherwise. */
  emoji?(id: string): string | null;
}

/**
 * One line of plain text with mention markup as names (`<@1>` → `@Ada`), for the places that
 * show a message without rendering it: reply previews, notifications. Shortened to `max`.
 */
export function mentionsAsText(text: string, names: MentionNames, max: number): string {
  const plain = mentionsAsNames(text, names).replace(/\s+/g, ' ').trim();
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}

/** Mention markup as names (`<@1>` → `@Ada`), the rest of the text untouched (a terminal renders it). */
export function mentionsAsNames(text: string, names: MentionNames): string {
  return text
    .replace(/<@!?(\d+)>/g, (_, id: string) => `@${names.user(id) ?? 'someone'}`)
    .replace(/<@&(\d+)>/g, (_, id: string) => `@${names.role(id) ?? 'role'}`)
    .replace(/<#(\d+)>/g, (_, id: string) => `#${names.channel(id) ?? 'channel'}`)
    .replace(CUSTOM_EMOJI_IN_TEXT, (_, _animated: string, name: string) => `:${name}:`);
}
