import { describe, expect, it } from 'vitest';
import { BatchedRead } from './batched-read';

/** A read whose batches are recorded and answered when the test says so. */
function manualRead() {
  const batches: { keys: string[]; answer: (found: Map<string, string>) => void; fail: (error: Error) => void }[] = [];
  const read = new BatchedRead<string, string>(
    (keys) =>
      new Promise((resolve, reject) => {
        batches.push({ keys, answer: resolve, fail: reject });
      }),
    () => 'missing',
  );
  return { read, batches };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedRead', () => {
  it('reads a key alone at once, and the keys asked for meanwhile together once it has answered', async () => {
    const { read, batches } = manualRead();
    const first = read.load('a');
    await settle();
    expect(batches.map((b) => b.keys)).toEqual([['a']]);
    const rest = [read.load('b'), read.load('c'), read.load('b')];
    await settle();
    // Still one read: the others wait for it.
    expect(batches).toHaveLength(1);
    batches[0]!.answer(new Map([['a', 'A']]));
    expect(await first).toBe('A');
    await settle();
    expect(batches.map((b) => b.keys)).toEqual([['a'], ['b', 'c']]);
    batches[1]!.answer(new Map([['b', 'B']]));
    expect(await Promise.all(rest)).toEqual(['B', 'missing', 'B']);
  });

  it('reads a key asked for again while its read is under way afresh: an answer is never older than its question', async () => {
    const { read, batches } = manualRead();
    const early = read.load('a');
    await settle();
    const late = read.load('a');
    // Asked after the read started: it may have missed a change made just before, so it waits.
    expect(batches).toHaveLength(1);
    batches[0]!.answer(new Map([['a', 'old']]));
    expect(await early).toBe('old');
    await settle();
    expect(batches).toHaveLength(2);
    batches[1]!.answer(new Map([['a', 'new']]));
    expect(await late).toBe('new');
  });

  it('reads the keys asked for in one turn together', async () => {
    const { read, batches } = manualRead();
    const loads = [read.load('a'), read.load('b')];
    await settle();
    expect(batches.map((b) => b.keys)).toEqual([['a', 'b']]);
    batches[0]!.answer(new Map([['a', 'A']]));
    expect(await Promise.all(loads)).toEqual(['A', 'missing']);
  });

  it('fails only the keys of the read that failed, and goes on with the next', async () => {
    const { read, batches } = manualRead();
    const failing = read.load('a');
    await settle();
    const next = read.load('b');
    batches[0]!.fail(new Error('connection lost'));
    await expect(failing).rejects.toThrow('connection lost');
    await settle();
    batches[1]!.answer(new Map([['b', 'B']]));
    expect(await next).toBe('B');
  });

  it('puts at most 500 keys in one read', async () => {
    const { read, batches } = manualRead();
    const first = read.load('first');
    await settle();
    const loads = [first, ...Array.from({ length: 700 }, (_, i) => read.load(`k${i}`))];
    batches[0]!.answer(new Map());
    await settle();
    expect(batches[1]!.keys).toHaveLength(500);
    batches[1]!.answer(new Map());
    await settle();
    expect(batches[2]!.keys).toHaveLength(200);
    batches[2]!.answer(new Map());
    expect(await Promise.all(loads)).toHaveLength(701);
  });
});
