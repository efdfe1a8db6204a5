import { describe, expect, it } from 'vitest';
import { WriteBatch } from './write-batch';

/** A batch on a clock the test moves, whose scheduled flushes the test runs itself. */
function harness(maxGapMs = 10) {
  let now = 0;
  const scheduled: { run: () => void; delayMs: number }[] = [];
  const flushed: string[][] = [];
  let current: string[] | null = null;
  const batch = new WriteBatch({
    maxGapMs,
    now: () => now,
    later: (run, delayMs) => scheduled.push({ run, delayMs }),
  });
  /** A held socket; its flush takes `tookMs` on the clock (the write system calls). */
  const target = (name: string, tookMs = 0) => ({
    flush: () => {
      current!.push(name);
      now += tookMs;
    },
  });
  const runNext = () => {
    const next = scheduled.shift()!;
    current = [];
    next.run();
    flushed.push(current);
    return next.delayMs;
  };
  return { batch, target, scheduled, flushed, runNext, advance: (ms: number) => (now += ms) };
}

describe('WriteBatch', () => {
  it('lets every held socket out once, in the order they were added, with one scheduled flush', () => {
    const h = harness();
    for (const name of ['a', 'b', 'c']) h.batch.add(h.target(name));
    expect(h.scheduled).toHaveLength(1);
    expect(h.runNext()).toBe(0);
    expect(h.flushed).toEqual([['a', 'b', 'c']]);
    expect(h.batch.size).toBe(0);
  });

  it('flushes at the end of the turn while writing takes little of the time', () => {
    const h = harness();
    h.batch.add(h.target('a', 2));
    h.runNext();
    // The last flush took 2 ms and ended 5 ms ago: no reason to wait.
    h.advance(5);
    h.batch.add(h.target('b'));
    expect(h.runNext()).toBe(0);
  });

  it('gathers the sockets of later turns while the last flush ended less than its duration ago', () => {
    const h = harness();
    h.batch.add(h.target('a', 6));
    h.runNext();
    // 2 ms after a 6 ms flush: the next one waits the 4 ms left, and what comes meanwhile joins it.
    h.advance(2);
    h.batch.add(h.target('b'));
    h.advance(1);
    h.batch.add(h.target('c'));
    expect(h.scheduled).toHaveLength(1);
    expect(h.runNext()).toBe(4);
    expect(h.flushed).toEqual([['a'], ['b', 'c']]);
  });

  it('never waits longer than maxGapMs, however long the last flush took', () => {
    const h = harness(10);
    h.batch.add(h.target('a', 50));
    h.runNext();
    h.batch.add(h.target('b'));
    expect(h.runNext()).toBe(10);
  });

  it('lets the others out when one socket throws', () => {
    const h = harness();
    h.batch.add({
      flush: () => {
        throw new Error('broken stream');
      },
    });
    h.batch.add(h.target('b'));
    h.runNext();
    expect(h.flushed).toEqual([['b']]);
  });
});
