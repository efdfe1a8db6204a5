/**
 * Emoji by shortcode (`:smile:` → 😄), for the composer. The table (about 1,900 emoji, 16 KB
 * gzipped) is a separate chunk fetched the first time someone types a `:`, so the chat screen
 * does not pay for it up front.
 */

export interface EmojiEntry {
  emoji: string;
  /** Its shortcodes, the main one first. */
  names: string[];
}

export interface EmojiTable {
  /** The emoji for an exact shortcode. */
  byName(name: string): string | undefined;
  /** Emoji whose shortcode starts with the query, then those containing it, in table order. */
  search(query: string, limit?: number): EmojiEntry[];
}

/** Builds the lookups over rows of `[emoji, ...shortcodes]`. */
export function emojiTable(rows: readonly (readonly string[])[]): EmojiTable {
  const entries: EmojiEntry[] = rows.map(([emoji, ...names]) => ({ emoji: emoji!, names }));
  const names = new Map<string, string>();
  for (const entry of entries) for (const name of entry.names) names.set(name, entry.emoji);
  return {
    byName: (name) => names.get(name.toLowerCase()),
    search(query, limit = 8) {
      const q = query.toLowerCase();
      const starts = entries.filter((e) => e.names.some((n) => n.startsWith(q)));
      const contains = entries.filter((e) => !starts.includes(e) && e.names.some((n) => n.includes(q)));
      // Exact names first, so `:ok` offers 🆗 before 👌 (:ok_hand:).
      const exact = starts.filter((e) => e.names.includes(q));
      return [...exact, ...starts.filter((e) => !exact.includes(e)), ...contains].slice(0, limit);
    },
  };
}

let loading: Promise<EmojiTable> | null = null;

/** The shortcode table, loaded once (a failed download is retried on the next call). */
export function loadEmoji(): Promise<EmojiTable> {
  loading ??= import('./emoji-shortcodes.json')
    .then((module) => emojiTable(module.default as string[][]))
    .catch((error: unknown) => {
      loading = null;
      throw error;
    });
  return loading;
}
