import { describe, expect, it } from 'vitest';
import { customEmojiOnly, customEmojiText, decodeCustomEmoji, encodeCustomEmoji, searchCustomEmoji, splitCustomEmoji } from './custom-emoji';

const party = { id: '111111111111111111', name: 'party', animated: false };
const Wave = { id: '222222222222222222', name: 'Wave', animated: true };

describe('custom emoji in text', () => {
  it('writes them in Discord form, animated ones with an "a"', () => {
    expect(customEmojiText(party)).toBe('<:party:111111111111111111>');
    expect(customEmojiText(Wave)).toBe('<a:Wave:222222222222222222>');
  });

  it('turns :name: into the emoji for the server’s names only (case-sensitive), never inside code or an existing emoji', () => {
    expect(encodeCustomEmoji('hi :party: and :Wave: but not :wave: or :nope:', [party, Wave])).toBe('hi <:party:111111111111111111> and <a:Wave:222222222222222222> but not :wave: or :nope:');
    expect(encodeCustomEmoji('`:party:` and ```\n:party:\n``` stay', [party])).toBe('`:party:` and ```\n:party:\n``` stay');
    expect(encodeCustomEmoji('<:party:111111111111111111> once', [party])).toBe('<:party:111111111111111111> once');
    expect(encodeCustomEmoji('at 10:30:45', [party])).toBe('at 10:30:45');
    expect(encodeCustomEmoji(':party:', [])).toBe(':party:');
  });

  it('reads them back as :name:, and splits a text into words and emoji', () => {
    expect(decodeCustomEmoji('hi <:party:111111111111111111> <a:Wave:222222222222222222>')).toBe('hi :party: :Wave:');
    expect(splitCustomEmoji('a <:party:111111111111111111>b')).toEqual([{ text: 'a ' }, { emoji: { id: party.id, name: 'party', animated: false } }, { text: 'b' }]);
  });

  it('finds them by what was typed after the colon, in any case, names starting with it first', () => {
    const cat = { id: '333333333333333333', name: 'partycat', animated: false };
    const hooray = { id: '444444444444444444', name: 'hooray_party', animated: false };
    expect(searchCustomEmoji([hooray, party, Wave, cat], 'PART')).toEqual([party, cat, hooray]);
    expect(searchCustomEmoji([hooray, party, Wave, cat], 'wa')).toEqual([Wave]);
    expect(searchCustomEmoji([hooray, party, cat], 'part', 2)).toEqual([party, cat]);
  });

  it('counts the emoji of a message made of nothing else', () => {
    expect(customEmojiOnly(' <:party:111111111111111111> <a:Wave:222222222222222222>\n')).toBe(2);
    expect(customEmojiOnly('hi <:party:111111111111111111>')).toBe(0);
    expect(customEmojiOnly('')).toBe(0);
  });
});
