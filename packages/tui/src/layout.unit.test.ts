import { expect, it } from 'vitest';
import { wrapSpans } from './layout';

const texts = (rows: { text: string }[][]) => rows.map((row) => row.map((s) => s.text).join(''));

it('wraps at spaces', () => {
  expect(texts(wrapSpans([{ text: 'aaa bbb ccc' }], 7))).toEqual(['aaa bbb', 'ccc']);
});

it('cuts words longer than the width', () => {
  expect(texts(wrapSpans([{ text: 'x'.repeat(10) }], 4))).toEqual(['xxxx', 'xxxx', 'xx']);
});

it('keeps styles across rows', () => {
  expect(wrapSpans([{ text: 'ab ' }, { text: 'cdef', bold: true }], 4)).toEqual([[{ text: 'ab ' }], [{ text: 'cdef', bold: true }]]);
});
