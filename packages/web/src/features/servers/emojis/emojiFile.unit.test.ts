import { describe, expect, it } from 'vitest';
import { emojiNameFromFile } from './emojiFile';

describe("an emoji's name from its file", () => {
  it('keeps letters, digits and underscores, and falls back when too little is left', () => {
    expect(emojiNameFromFile('party-parrot.gif', 1)).toBe('party_parrot');
    expect(emojiNameFromFile('  Café au lait!.png', 1)).toBe('Caf_au_lait');
    expect(emojiNameFromFile('x.png', 3)).toBe('emoji_3');
    expect(emojiNameFromFile(`${'a'.repeat(40)}.webp`, 1)).toHaveLength(32);
  });
});
