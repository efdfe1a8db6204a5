import { UnicodeEmoji } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { EMOJI_GROUPS } from './emoji-data';
import { searchEmoji } from './emoji-search';

const found = (query: string) => searchEmoji(EMOJI_GROUPS, query).flatMap((g) => g.emoji.map(([emoji]) => emoji));

describe('the reaction picker’s emoji', () => {
  it('are each offered once, and each is an emoji the server accepts as a reaction', () => {
    const all = EMOJI_GROUPS.flatMap((g) => g.emoji.map(([emoji]) => emoji));
    expect(new Set(all).size).toBe(all.length);
    for (const emoji of all) expect(UnicodeEmoji.safeParse(emoji).success, emoji).toBe(true);
  });

  it('are found by the start of any word of their name, every word typed counting', () => {
    expect(found('party')).toEqual(['🎉', '🥳']);
    expect(found('thu up')).toEqual(['👍']);
    expect(found('  HEART  ')).toContain('❤️');
    expect(found('🔥')).toEqual(['🔥']);
    expect(found('zzzz nothing')).toEqual([]);
  });

  it('keep their groups, leaving out groups with no match; an empty search shows everything', () => {
    expect(searchEmoji(EMOJI_GROUPS, 'heart').map((g) => g.name)).toEqual(['Frequently used', 'Smileys', 'Hearts and symbols']);
    expect(searchEmoji(EMOJI_GROUPS, '')).toEqual(EMOJI_GROUPS);
  });
});
