import { CUSTOM_EMOJI_IN_TEXT } from '@parley/protocol';
import { splitCode } from './composer-text';

/** What text needs of a custom emoji. */
export interface TextEmoji {
  id: string;
  name: string;
  animated: boolean;
}

/*
 * A server's custom emoji in text, for every client: typed as `:name:`, sent as `<:name:id>`
 * (`<a:name:id>` when animated, Discord's form), and shown by each client its own way (an image
 * in the web client, `:name:` in the terminal).
 */

/** How a custom emoji is written in a message. */
export function customEmojiText(emoji: TextEmoji): string {
  return `<${emoji.animated ? 'a' : ''}:${emoji.name}:${emoji.id}>`;
}

/**
 * `:name:` → `<:name:id>` for the server's emoji (names as they are: they are case-sensitive),
 * outside code; other `:words:` stay as typed.
 */
export function encodeCustomEmoji(text: string, emojis: readonly TextEmoji[]): string {
  if (emojis.length === 0) return text;
  const byName = new Map(emojis.map((e) => [e.name, e]));
  return splitCode(text)
    .map((s) => (s.code ? s.text : s.text.replace(/(?<![<\w]):(\w{2,32}):(?!\d)/g, (whole, name: string) => (byName.has(name) ? customEmojiText(byName.get(name)!) : whole))))
    .join('');
}

/** `<:name:id>` → `:name:` (to edit a message, or where images are not shown). */
export function decodeCustomEmoji(text: string): string {
  return text.replace(CUSTOM_EMOJI_IN_TEXT, (_whole, _animated: string, name: string) => `:${name}:`);
}

/** A message's text cut into plain stretches and custom emoji, in order (for clients that draw them). */
export function splitCustomEmoji(text: string): ({ text: string } | { emoji: TextEmoji })[] {
  const parts: ({ text: string } | { emoji: TextEmoji })[] = [];
  let last = 0;
  for (const match of text.matchAll(CUSTOM_EMOJI_IN_TEXT)) {
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ emoji: { animated: match[1] === 'a', name: match[2]!, id: match[3]! } });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/**
 * The server's emoji whose name matches what was typed after `:` (any case): names starting
 * with it first, then those containing it, each in the server's order.
 */
export function searchCustomEmoji<T extends TextEmoji>(emojis: readonly T[], query: string, limit = 8): T[] {
  const q = query.toLowerCase();
  const starts = emojis.filter((e) => e.name.toLowerCase().startsWith(q));
  const contains = emojis.filter((e) => !e.name.toLowerCase().startsWith(q) && e.name.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, limit);
}

/** How many custom emoji a text is made of when it holds nothing else (but spaces); 0 otherwise. */
export function customEmojiOnly(text: string): number {
  const parts = splitCustomEmoji(text);
  if (parts.some((p) => 'text' in p && p.text.trim())) return 0;
  return parts.filter((p) => 'emoji' in p).length;
}
