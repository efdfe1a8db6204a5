import { expect, it } from 'vitest';
import { splitTyped } from './keys';

it('splits a burst of keys into text, an Enter, a Tab and backspaces, in order', () => {
  expect(splitTyped('one\r')).toEqual([{ kind: 'text', text: 'one' }, { kind: 'enter' }]);
  expect(splitTyped('\u007f\u007fab\b')).toEqual([{ kind: 'backspace' }, { kind: 'backspace' }, { kind: 'text', text: 'ab' }, { kind: 'backspace' }]);
  expect(splitTyped('plain')).toEqual([{ kind: 'text', text: 'plain' }]);
  expect(splitTyped('hello @zel\t')).toEqual([{ kind: 'text', text: 'hello @zel' }, { kind: 'tab' }]);
});

it('keeps a pasted block of lines in the composer: nothing is sent, no line runs as a command', () => {
  expect(splitTyped('hello\r/leave\r/logout\r')).toEqual([{ kind: 'text', text: 'hello\n/leave\n/logout' }]);
  expect(splitTyped('/logout\rsecond line')).toEqual([{ kind: 'text', text: '/logout\nsecond line' }]);
});
