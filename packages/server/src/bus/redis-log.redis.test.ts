import type { Snowflake } from '@parley/protocol';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../testing/collector';
import { connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import { TcpProxy } from '../testing/tcp-proxy';
import type { LogEntry, NewEntry } from './event-log';
import { RedisEventLog, type RedisLogOptions } from './redis-log';

const to = { guilds: ['1' as Snowflake], users: ['2' as Snowflake] };
const entry = (n: number | string): NewEntry => ({ t: 'TYPING_START', d: JSON.stringify(String(n)), to, intent: 0 });
const seqs = (entries: readonly LogEntry[] | null) => entries?.map((e) => e.seq) ?? null;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const quiet = { warn: () => undefined, error: () => undefined };

let admin: Redis;
const opened: { close(): Promise<void> }[] = [];
const prefix = testRedisPrefix();

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  await deleteKeys(admin, prefix);
});
afterAll(() => admin.quit());

/** A node's view of the log: its own connection, the log on it, and what its subscriber received. */
async function node(options: Partial<RedisLogOptions> & { now?: () => number; redis?: Redis } = {}) {
  const redis = options.redis ?? (await connectTestRedis());
  const log = await RedisEventLog.open(redis, { now: options.now ?? Date.now }, { prefix, windowMs: 60_000, maxEntries: 10_000, logger: quiet, ...options });
  const received = new Collector<LogEntry>();
  log.subscribe(received.push);
  opened.push({ close: () => redis.quit().then(() => undefined) }, log);
  return { log, received, redis };
}

describe('RedisEventLog', () => {
  it('numbers entries in order, as a group per append, and delivers them to every node in that order', async () => {
    const a = await node();
    const b = await node();
    expect(await a.log.append([entry(1), entry(2)])).toEqual([1, 2]);
    expect(await b.log.append([entry(3)])).toEqual([3]);
    for (const { received } of [a, b]) {
      const got = await received.count(3);
      expect(got).toEqual([
        { seq: 1, t: 'TYPING_START', d: '"1"', to, intent: 0, publishedAt: expect.any(Number) },
        { seq: 2, t: 'TYPING_START', d: '"2"', to, intent: 0, publishedAt: expect.any(Number) },
        { seq: 3, t: 'TYPING_START', d: '"3"', to, intent: 0, publishedAt: expect.any(Number) },
      ]);
    }
    expect(await a.log.head()).toBe(3);
  });

  it('keeps one order for concurrent appends from two nodes, and each group consecutive', async () => {
    const a = await node();
    const b = await node();
    const appends = range(1, 100).flatMap((i) => [
      a.log.append([entry(`a${i}.1`), entry(`a${i}.2`)]).then((s) => ({ s, d: [`a${i}.1`, `a${i}.2`] })),
      b.log.append([entry(`b${i}.1`), entry(`b${i}.2`), entry(`b${i}.3`)]).then((s) => ({ s, d: [`b${i}.1`, `b${i}.2`, `b${i}.3`] })),
    ]);
    const results = await Promise.all(appends);
    const total = 500;
    for (const { s } of results) expect(s).toEqual(range(s[0]!, s[0]! + s.length - 1));
    const [seenByA, seenByB] = await Promise.all([a.received.count(total), b.received.count(total)]);
    expect(seqs(seenByA)).toEqual(range(1, total));
    expect(seenByB).toEqual(seenByA);
    // Each payload sits at the position its append was told.
    for (const { s, d } of results) s.forEach((seq, i) => expect(JSON.parse(seenByA[seq - 1]!.d)).toBe(d[i]));
  });

  it('sends the groups appended while an append is on its way together, in order, at most 256 entries a call', async () => {
    const a = await node();
    const b = await node();
    // Counts the script calls on a's connection (entries per call): the append itself is Redis's.
    const redis = a.redis as Redis & { parleyLogAppend(...args: (string | number)[]): Promise<unknown> };
    const append = redis.parleyLogAppend.bind(redis);
    const calls: number[] = [];
    redis.parleyLogAppend = (...args) => {
      calls.push((args.length - 7) / 4);
      return append(...args);
    };
    const groups = range(1, 150).map((i) => a.log.append([entry(`${i}.1`), entry(`${i}.2`)]));
    expect(await Promise.all(groups)).toEqual(range(1, 150).map((i) => [2 * i - 1, 2 * i]));
    // The first goes at once; those appended meanwhile wait for it, then leave in calls of whole groups.
    expect(calls).toEqual([2, 256, 42]);
    const order = range(1, 150).flatMap((i) => [`"${i}.1"`, `"${i}.2"`]);
    for (const { received } of [a, b]) expect((await received.count(300)).map((e) => e.d)).toEqual(order);
  });

  it('replays what came after a sequence number, until the window has passed', async () => {
    let now = 1_000_000;
    const { log } = await node({ now: () => now, windowMs: 1000 });
    for (let i = 1; i <= 5; i++) await log.append([entry(i)]);
    expect(seqs(await log.readAfter(2))).toEqual([3, 4, 5]);
    expect(seqs(await log.readAfter(4))).toEqual([5]);
    expect(seqs(await log.readAfter(0))).toEqual([1, 2, 3, 4, 5]);
    expect(await log.readAfter(5)).toEqual([]);
    expect(await log.readAfter(6)).toBeNull(); // ahead of the head: not a real position
    now += 2000; // everything is older than the window
    expect(await log.readAfter(5)).toEqual([]);
    expect(await log.readAfter(4)).toBeNull();
    await log.append([entry(6)]); // appending trims what the window no longer covers
    expect(seqs(await log.readAfter(5))).toEqual([6]);
    expect(await log.readAfter(4)).toBeNull();
    expect(await admin.xlen(`${prefix}log:stream`)).toBe(1);
  });

  it('keeps about the configured number of entries, and replays long gaps page by page', async () => {
    const { log } = await node({ maxEntries: 1500 });
    for (let i = 0; i < 60; i++) await log.append(range(1, 50).map((j) => entry(i * 50 + j)));
    const kept = await admin.xlen(`${prefix}log:stream`);
    expect(kept).toBeGreaterThanOrEqual(1500);
    expect(kept).toBeLessThan(1700); // trimmed a stream node at a time, so a little over
    expect(await log.readAfter(0)).toBeNull(); // the start is gone
    const replay = await log.readAfter(3000 - 1450);
    expect(seqs(replay)).toEqual(range(1551, 3000)); // more than one page (1000) of reads
    expect(replay!.map((e) => JSON.parse(e.d))).toEqual(range(1551, 3000).map(String));
  });

  it('delivers what was appended while its reader was cut off, once each and in order, after reconnecting', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 6379 });
    opened.push(proxy);
    const cutOff = await node({ redis: await connectTestRedis({}, `redis://127.0.0.1:${proxy.port}`) });
    const lost = new Collector<void>();
    cutOff.log.onLoss(lost.push);
    const writer = await node();
    await writer.log.append([entry(1), entry(2)]);
    await cutOff.received.count(2);

    const connectionsBefore = proxy.relayed;
    proxy.cut();
    for (let i = 3; i <= 10; i++) await writer.log.append([entry(i)]);
    proxy.restore();
    const got = await cutOff.received.count(10);
    await writer.log.append([entry(11)]);
    expect(seqs(await cutOff.received.count(11))).toEqual(range(1, 11));
    expect(got.map((e) => JSON.parse(e.d))).toEqual(range(1, 11).map(String));
    expect(proxy.relayed).toBeGreaterThan(connectionsBefore); // it really reconnected
    expect(lost.items).toHaveLength(0);
  });

  it('says so when entries were trimmed before a cut-off reader could read them, then carries on', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 6379 });
    opened.push(proxy);
    const cutOff = await node({ redis: await connectTestRedis({}, `redis://127.0.0.1:${proxy.port}`) });
    const lost = new Collector<void>();
    cutOff.log.onLoss(lost.push);
    const writer = await node({ maxEntries: 100 });
    await writer.log.append([entry(1)]);
    await cutOff.received.count(1);

    proxy.cut();
    for (let i = 0; i < 10; i++) await writer.log.append(range(1, 50).map((j) => entry(i * 50 + j + 1)));
    proxy.restore();
    await lost.count(1);
    const got = await cutOff.received.until('the head', (items) => items.at(-1)?.seq === 501);
    const afterGap = seqs(got.slice(1))!;
    expect(afterGap[0]).toBeGreaterThan(2);
    expect(afterGap).toEqual(range(afterGap[0]!, 501));
    expect(lost.items).toHaveLength(1);
  });

  it('notices a log that was reset (Redis restarted empty), whether or not new entries pass the old head', async () => {
    const reader = await node({ idleCheckMs: 200 });
    const lost = new Collector<void>();
    reader.log.onLoss(lost.push);
    const writer = await node();
    await writer.log.append([entry(1), entry(2), entry(3)]);
    await reader.received.count(3);

    // Fewer entries than before: their positions are behind the reader; the idle check finds the new epoch.
    await deleteKeys(admin, prefix);
    await writer.log.append([entry('new 1')]);
    await lost.count(1);
    await writer.log.append([entry('new 2')]);
    const got = await reader.received.count(4);
    expect(got.at(-1)).toMatchObject({ seq: 2, d: '"new 2"' });

    // More entries than the reader had seen: the first one it reads carries the new epoch.
    await deleteKeys(admin, prefix);
    await writer.log.append(range(1, 5).map((i) => entry(`newer ${i}`)));
    await lost.count(2);
    const after = await reader.received.until('the newer entries', (items) => items.at(-1)?.d === '"newer 5"');
    expect(after.at(-1)!.seq).toBe(5);
  });

  it('stops reading when closed', async () => {
    const { log, received } = await node();
    const writer = await node();
    await log.close();
    await writer.log.append([entry(1)]);
    await writer.received.count(1);
    expect(received.items).toHaveLength(0);
  });
});
