import { fold } from '@parley/sdk';

/**
 * The text side of search, free of Vue: typed filters (`from:grace in:general has:image
 * before:2024-06-01 after:2024-05-01`) pulled out of what was typed, and the matched words of
 * a result marked for display.
 */

export type FilterKey = 'from' | 'in' | 'has' | 'before' | 'after';

/** Filters as typed: names and dates, resolved to IDs by the search panel. */
export type TypedFilters = Partial<Record<FilterKey, string>>;

const FILTER = /(?<!\S)(from|in|has|before|after):(\S+)/gi;

/** Splits typed search text into its words and its `key:value` filters (the last of a key wins). */
export function parseSearch(input: string): { words: string; filters: TypedFilters } {
  const filters: TypedFilters = {};
  const words = input.replace(FILTER, (_whole, key: string, value: string) => {
    filters[key.toLowerCase() as FilterKey] = value.replace(/^[@#]/, '');
    return ' ';
  });
  return { words: words.replace(/\s+/g, ' ').trim(), filters };
}

/** A date typed as YYYY-MM-DD that exists, or null. */
export function parseDay(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) ? value : null;
}

/** Words as the server matches them: runs of letters, digits and marks. */
export function searchWords(text: string): string[] {
  return text.normalize('NFC').match(/[\p{L}\p{N}\p{M}\p{Co}]+/gu) ?? [];
}

/**
 * Message Markdown as the words people read, for a one-glance result: links show their text,
 * formatting marks (bold, strikethrough, code fences, quote markers) go, and spoilers stay
 * hidden behind "(spoiler)".
 */
export function markdownToText(markdown: string): string {
  return markdown
    .replace(/\|\|[\s\S]+?\|\|/g, '(spoiler)')
    .replace(/```[^\n]*\n?/g, '')
    .replace(/\[([^\]\n]+)\]\((?:https?:|mailto:)[^)\s]+\)/g, '$1')
    .replace(/\*\*|__|~~|`/g, '')
    .replace(/^>\s?/gm, '');
}

export interface Highlighted {
  text: string;
  match: boolean;
}

/** The text in pieces, the words of the search marked (case and accents ignored, whole words). */
export function highlight(text: string, words: readonly string[]): Highlighted[] {
  const wanted = new Set(words.map(fold));
  if (!wanted.size) return [{ text, match: false }];
  const pieces: Highlighted[] = [];
  let last = 0;
  for (const match of text.matchAll(/[\p{L}\p{N}\p{M}\p{Co}]+/gu)) {
    if (!wanted.has(fold(match[0]))) continue;
    if (match.index > last) pieces.push({ text: text.slice(last, match.index), match: false });
    pieces.push({ text: match[0], match: true });
    last = match.index + match[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), match: false });
  return pieces;
}
