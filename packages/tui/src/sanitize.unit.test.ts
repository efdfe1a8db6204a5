import { describe, expect, it } from 'vitest';
import { sanitize } from './sanitize';

/** Nothing a terminal would act on may survive: no ESC, no C0/C1 control but newline, no bidi control. */
function inert(text: string): boolean {
  return !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text);
}

describe('sanitize', () => {
  const hostile: [string, string, string][] = [
    ['SGR colours', '\u001b[31mred\u001b[0m', 'red'],
    ['cursor moves and clear screen', 'a\u001b[2J\u001b[H\u001b[10;10Hb', 'ab'],
    ['OSC window title ended by BEL', '\u001b]0;pwned\u0007hi', 'hi'],
    ['OSC 8 hyperlink ended by ST', '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'],
    ['OSC 52 clipboard write', '\u001b]52;c;cm0gLXJmIC8=\u0007ok', 'ok'],
    ['DCS string', '\u001bPq#0;2;0;0;0\u001b\\after', 'after'],
    ['8-bit CSI', '\u009b31mx', 'x'],
    ['8-bit OSC', '\u009d0;title\u009cy', 'y'],
    ['unterminated OSC swallows the rest', 'a\u001b]0;never ends', 'a'],
    ['lone ESC at the end', 'end\u001b', 'end'],
    ['two-byte escape (reset terminal)', '\u001bcafter', 'after'],
    ['bell, backspace, carriage return', 'a\u0007b\u0008c\rd', 'abc\nd'],
    ['bidi override (Trojan Source)', 'access\u202e\u2066 level\u2069\u202c', 'access level'],
    ['NUL and DEL', 'a\u0000b\u007fc', 'abc'],
  ];
  for (const [name, input, expected] of hostile) {
    it(`removes ${name}`, () => {
      const out = sanitize(input);
      expect(out).toBe(expected);
      expect(inert(out)).toBe(true);
    });
  }

  it('keeps ordinary text, newlines, emoji and right-to-left letters', () => {
    expect(sanitize('hello **world**\nשלום 👋')).toBe('hello **world**\nשלום 👋');
  });

  it('turns tabs into spaces', () => {
    expect(sanitize('a\tb')).toBe('a    b');
  });
});
