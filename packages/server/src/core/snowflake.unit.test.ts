import { snowflakeTimestamp } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { SnowflakeGenerator } from './snowflake';

describe('SnowflakeGenerator', () => {
  it('encodes the creation time so Discord-style readers recover it', () => {
    const ids = new SnowflakeGenerator({ now: () => Date.UTC(2026, 10, 21) }, 7);
    expect(snowflakeTimestamp(ids.next())).toBe(Date.UTC(2026, 10, 21));
  });

  it('gives unique, increasing IDs, even past 4096 in one millisecond and when the clock steps back', () => {
    let now = Date.UTC(2026, 0, 1);
    const ids = new SnowflakeGenerator({ now: () => now }, 1);
    const seen: bigint[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i === 6000) now -= 5000; // NTP step backwards
      seen.push(BigInt(ids.next()));
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
  });

  it('keeps worker IDs apart so two nodes never collide', () => {
    const clock = { now: () => Date.UTC(2026, 0, 1) };
    const a = new SnowflakeGenerator(clock, 1).next();
    const b = new SnowflakeGenerator(clock, 2).next();
    expect(a).not.toBe(b);
  });
});
