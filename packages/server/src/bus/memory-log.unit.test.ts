import { describe, expect, it } from 'vitest';
import type { LogEntry, NewEntry } from './event-log';
import { MemoryEventLog } from './memory-log';

const entry = (n: number): NewEntry => ({ t: 'TYPING_START', d: String(n), to: { users: [] }, intent: 0 });

describe('MemoryEventLog', () => {
  it('numbers entries in order and tells subscribers in that order', async () => {
    const log = new MemoryEventLog({ now: () => 0 }, { windowMs: 1000, maxEntries: 100 });
    const seen: number[] = [];
    log.subscribe((e) => seen.push(e.seq));
    expect(await log.append([entry(1), entry(2)])).toEqual([1, 2]);
    expect(await log.append([entry(3)])).toEqual([3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(await log.head()).toBe(3);
  });

  it('replays what came after a sequence number, until it has been dropped', async () => {
    let now = 0;
    const log = new MemoryEventLog({ now: () => now }, { windowMs: 1000, maxEntries: 3 });
    for (let i = 1; i <= 5; i++) await log.append([entry(i)]);
    const seqs = (entries: LogEntry[] | null) => entries?.map((e) => e.seq) ?? null;
    expect(seqs(await log.readAfter(2))).toEqual([3, 4, 5]);
    expect(seqs(await log.readAfter(4))).toEqual([5]);
    expect(seqs(await log.readAfter(5))).toEqual([]);
    expect(await log.readAfter(1)).toBeNull(); // 2 was dropped (only 3 kept)
    expect(await log.readAfter(6)).toBeNull(); // ahead of the head: not a real position
    now = 2000; // everything is older than the window
    expect(await log.readAfter(5)).toEqual([]);
    expect(await log.readAfter(4)).toBeNull();
  });

  it('drops the oldest entries once their payloads pass the byte bound', async () => {
    const log = new MemoryEventLog({ now: () => 0 }, { windowMs: 1000, maxEntries: 100, maxBytes: 20 });
    const big = (n: number): NewEntry => ({ ...entry(n), d: `"xx${n}"` }); // 5 characters: 10 bytes
    for (let i = 1; i <= 4; i++) await log.append([big(i)]);
    expect((await log.readAfter(2))?.map((e) => e.seq)).toEqual([3, 4]);
    expect(await log.readAfter(1)).toBeNull();
  });

  it('stays correct across compaction', async () => {
    const log = new MemoryEventLog({ now: () => 0 }, { windowMs: 1000, maxEntries: 10 });
    for (let i = 1; i <= 5000; i++) await log.append([entry(i)]);
    expect((await log.readAfter(4995))?.map((e) => e.d)).toEqual(['4996', '4997', '4998', '4999', '5000']);
    expect(await log.readAfter(4989)).toBeNull();
  });

  it('continues from a snapshot: the same entries replay, numbering goes on after the head', async () => {
    const before = new MemoryEventLog({ now: () => 0 }, { windowMs: 1000, maxEntries: 10 });
    for (let i = 1; i <= 15; i++) await before.append([entry(i)]);
    const after = new MemoryEventLog({ now: () => 500 }, { windowMs: 1000, maxEntries: 10 });
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    expect((await after.readAfter(12))?.map((e) => e.d)).toEqual(['13', '14', '15']);
    expect(await after.readAfter(4)).toBeNull();
    expect(await after.append([entry(16)])).toEqual([16]);
  });

  it('keeps only the numbering of a snapshot whose entries do not run up to its head', async () => {
    const log = new MemoryEventLog({ now: () => 0 }, { windowMs: 1000, maxEntries: 10 });
    const stored = (seq: number) => ({ entry: { ...entry(seq), seq }, at: 0 });
    log.restore({ seq: 9, entries: [stored(5), stored(7)] });
    expect(await log.readAfter(6)).toBeNull();
    expect(await log.readAfter(9)).toEqual([]);
    expect(await log.append([entry(10)])).toEqual([10]);
  });
});
