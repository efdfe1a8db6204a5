import { describe, expect, it } from 'vitest';
import { formatBytes, oneTimePasswordsCsv, parseAddressList, seriesMax } from './admin';

describe('admin helpers', () => {
  it('reads pasted addresses in any common shape', () => {
    expect(parseAddressList('a@x.test\nb@x.test, c@x.test; d@x.test e@x.test\n\n"Ann Lee" <ann@x.test>\nBob <bob@x.test>')).toEqual([
      { email: 'a@x.test' },
      { email: 'b@x.test' },
      { email: 'c@x.test' },
      { email: 'd@x.test' },
      { email: 'e@x.test' },
      { email: 'ann@x.test', name: 'Ann Lee' },
      { email: 'bob@x.test', name: 'Bob' },
    ]);
    expect(parseAddressList('  \n ')).toEqual([]);
  });

  it('writes the one-time passwords as CSV, quoting what needs it', () => {
    expect(
      oneTimePasswordsCsv([
        { id: '1' as never, username: 'ann', email: 'ann@x.test', password: 'pa,ss"1' },
        { id: '2' as never, username: 'mailed', email: 'm@x.test' },
      ]),
    ).toBe('username,email,password\r\nann,ann@x.test,"pa,ss""1"\r\n');
  });

  it('formats sizes and scales', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MB');
    expect(seriesMax([])).toBe(1);
    expect(seriesMax([{ day: '2026-01-01', count: 7 }])).toBe(7);
  });
});
