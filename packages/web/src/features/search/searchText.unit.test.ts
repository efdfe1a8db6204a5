import { describe, expect, it } from 'vitest';
import { highlight, markdownToText, parseDay, parseSearch } from './searchText';

describe('typed search filters', () => {
  it('pulls filters out of the words', () => {
    expect(parseSearch('launch from:@Grace in:#general has:image notes')).toEqual({ words: 'launch notes', filters: { from: 'Grace', in: 'general', has: 'image' } });
    expect(parseSearch('before:2024-06-01 after:2024-05-01')).toEqual({ words: '', filters: { before: '2024-06-01', after: '2024-05-01' } });
    expect(parseSearch('plain words only')).toEqual({ words: 'plain words only', filters: {} });
  });

  it('does not take a word that merely contains a colon', () => {
    expect(parseSearch('meet at 10:30 mailto:x')).toEqual({ words: 'meet at 10:30 mailto:x', filters: {} });
  });

  it('accepts real calendar days only', () => {
    expect(parseDay('2024-02-29')).toBe('2024-02-29');
    expect(parseDay('2023-02-29')).toBeNull();
    expect(parseDay('yesterday')).toBeNull();
  });
});

describe('highlighting', () => {
  it('marks whole words, ignoring case and accents', () => {
    expect(highlight('Café launch, relaunched: LAUNCH!', ['launch', 'cafe'])).toEqual([
      { text: 'Café', match: true },
      { text: ' ', match: false },
      { text: 'launch', match: true },
      { text: ', relaunched: ', match: false },
      { text: 'LAUNCH', match: true },
      { text: '!', match: false },
    ]);
    expect(highlight('nothing here', [])).toEqual([{ text: 'nothing here', match: false }]);
  });
});

describe('result text', () => {
  it('shows Markdown as the words people read', () => {
    expect(markdownToText('Hello **Ada**, see `code` and a [link](https://example.org) ||spoiler||')).toBe('Hello Ada, see code and a link (spoiler)');
    expect(markdownToText('> quoted\nreply ~~old~~ new\n```js\nlet x;\n```')).toBe('quoted\nreply old new\nlet x;\n');
    expect(markdownToText('snake_case stays, 2 * 3 too')).toBe('snake_case stays, 2 * 3 too');
  });
});
