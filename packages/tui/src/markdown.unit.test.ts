import { expect, it } from 'vitest';
import { parseMarkdown } from './markdown';

it('parses inline styles', () => {
  expect(parseMarkdown('a **b** *c* `d` ~~e~~')[0]!.spans).toEqual([
    { text: 'a ' },
    { text: 'b', bold: true },
    { text: ' ' },
    { text: 'c', italic: true },
    { text: ' ' },
    { text: 'd', code: true },
    { text: ' ' },
    { text: 'e', strike: true },
  ]);
});

it('hides spoilers until revealed', () => {
  expect(parseMarkdown('x ||secret||')[0]!.spans).toEqual([{ text: 'x ' }, { text: '██████', spoiler: true }]);
  expect(parseMarkdown('x ||secret||', true)[0]!.spans).toEqual([{ text: 'x ' }, { text: 'secret' }]);
});

it('keeps code blocks literal and marks quotes', () => {
  expect(parseMarkdown('```\n**not bold**\n```\n> quoted')).toEqual([
    { spans: [{ text: '**not bold**', code: true }], codeBlock: true },
    { spans: [{ text: 'quoted' }], quote: true },
  ]);
});
