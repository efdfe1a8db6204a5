import type { EmojiGroup } from './emoji-data';

/**
 * The picker's groups narrowed to a search: every word typed must start a word of the
 * emoji's name ("thu up" finds "thumbs up"); the emoji itself matches too. An empty search
 * leaves the groups as they are; groups with no match are left out.
 */
export function searchEmoji(groups: readonly EmojiGroup[], query: string): EmojiGroup[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...groups];
  const matches = (emoji: string, name: string) => {
    const nameWords = name.split(' ');
    return words.every((w) => w === emoji || nameWords.some((n) => n.startsWith(w)));
  };
  return groups.map((g) => ({ name: g.name, emoji: g.emoji.filter(([emoji, name]) => matches(emoji, name)) })).filter((g) => g.emoji.length > 0);
}
