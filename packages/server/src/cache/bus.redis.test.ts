import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog, LogEntry } from '../bus/event-log';
import { RedisEventLog } from '../bus/redis-log';
import { connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import { CacheBus } from './bus';
import { Caches } from './caches';
import { RedisInvalidationFence } from './redis-fence';

const quiet = { warn: () => undefined, error: () => undefined };
const prefix = testRedisPrefix();
let admin: Redis;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  await deleteKeys(admin, prefix);
});
afterAll(() => admin.quit());

/**
 * One node's caches on the real Redis log and fence. `hold()` makes its log reader fall behind
 * (entries reach it only on `release()`), as a busy node's does: what the fence is for.
 */
async function node() {
  const redis = await connectTestRedis();
  const log = await RedisEventLog.open(redis, { now: Date.now }, { prefix, windowMs: 60_000, maxEntries: 10_000, logger: quiet });
  opened.push({ close: () => redis.quit().then(() => undefined) }, log);
  let held: (() => void)[] | null = null;
  const lagging: EventLog = {
    append: (entries) => log.append(entries),
    subscribe: (handler) => log.subscribe((entry: LogEntry) => (held ? held.push(() => handler(entry)) : handler(entry))),
    onLoss: (handler) => log.onLoss(handler),
    readAfter: (seq) => log.readAfter(seq),
    head: () => log.head(),
    close: () => log.close(),
  };
  const caches = new Caches();
  const members = caches.create<string, string>(['members'], { max: 10 });
  const bus = await CacheBus.open(caches, lagging, new RedisInvalidationFence(redis, prefix), quiet);
  return {
    caches,
    members,
    bus,
    hold: () => void (held = []),
    release: () => {
      const queued = held ?? [];
      held = null;
      for (const deliver of queued) deliver();
    },
  };
}

describe('CacheBus across nodes (Redis)', () => {
  it("empties the other node's caches, and a request there waits until its reader has applied the change", async () => {
    const [a, b] = [await node(), await node()];
    await b.members.load('m', async () => 'old standing');
    b.hold();
    // A commits a write to members: its own caches go at once, the log and fence carry it on.
    await a.bus.written(new Set(['members', 'messages']));
    // B's reader has not got there: its copy is still in place, and its next request waits.
    expect(b.members.get('m')).toBe('old standing');
    let current = false;
    const waiting = b.bus.current().then(() => (current = true));
    // Past B's read of the fence (one Redis, commands in order) and a turn of its event loop.
    await admin.ping();
    await new Promise((resolve) => setImmediate(resolve));
    expect(current).toBe(false);
    b.release();
    await waiting;
    expect(b.members.get('m')).toBeUndefined();
  });

  it('does not keep a read that an invalidation overtook, and announces only tables some cache is read from', async () => {
    const [a, b] = [await node(), await node()];
    const headBefore = await admin.get(`${prefix}log:seq`);
    await a.bus.written(new Set(['messages', 'read_states']));
    expect(await admin.get(`${prefix}log:seq`)).toBe(headBefore);

    let finishRead: (value: string) => void = () => undefined;
    const reading = b.members.load('m', () => new Promise<string>((resolve) => (finishRead = resolve)));
    await a.bus.written(new Set(['members']));
    await b.bus.current();
    finishRead('read before the change');
    expect(await reading).toBe('read before the change');
    expect(b.members.get('m')).toBeUndefined();
  });
});
