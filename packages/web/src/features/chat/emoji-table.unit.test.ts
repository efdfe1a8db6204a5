import { describe, expect, it } from 'vitest';
import { emojiTable } from './emoji';
import rows from './emoji-shortcodes.json';
import { fuzzyScore } from './fuzzy';

describe('emoji table', () => {
  const table = emojiTable(rows);
  it('finds emoji by exact name first, then by prefix, then by part of the name', () => {
    expect(table.search('smile', 3).map((e) => e.emoji)).toEqual(['😄', '😃', '😺']);
    expect(table.search('ok')[0]?.emoji).toBe('🆗');
    expect(table.search('thumb').map((e) => e.emoji)).toContain('👍');
    expect(table.search('upside').map((e) => e.emoji)).toContain('🙃');
  });
});

describe('fuzzy matching', () => {
  it('matches characters in order and prefers starts of words and runs', () => {
    expect(fuzzyScore('gnrl', 'general')).not.toBeNull();
    expect(fuzzyScore('xyz', 'general')).toBeNull();
    expect(fuzzyScore('gen', 'general')!).toBeGreaterThan(fuzzyScore('gen', 'big-engine')!);
    expect(fuzzyScore('ot', 'off-topic')!).toBeGreaterThan(fuzzyScore('ot', 'photos')!);
    expect(fuzzyScore('', 'anything')).toBe(0);
  });
});
