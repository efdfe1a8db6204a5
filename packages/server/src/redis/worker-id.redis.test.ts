import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../testing/collector';
import { connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import { WorkerIdLease } from './worker-id';

const prefix = testRedisPrefix();
const quiet = { warn: () => undefined, error: () => undefined };
let redis: Redis;
beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('WorkerIdLease', () => {
  it('gives every running node its own worker ID, and takes released ones back into use', async () => {
    // More nodes than a counter's first lap would need, some starting at the same time.
    const leases = await Promise.all(Array.from({ length: 40 }, () => WorkerIdLease.acquire(redis, { prefix, ttlMs: 60_000, renewMs: 20_000, logger: quiet })));
    const ids = leases.map((l) => l.workerId);
    expect(new Set(ids).size).toBe(40);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 1024)).toBe(true);

    // Wrap the counter round: the next node's first pick is held by a running node, so it moves on.
    await redis.set(`${prefix}worker:next`, 1024 * 7 + ids[0]!);
    const next = await WorkerIdLease.acquire(redis, { prefix, ttlMs: 60_000, renewMs: 20_000, logger: quiet });
    expect(ids).not.toContain(next.workerId);
    leases.push(next);

    await leases[0]!.release();
    expect(await redis.exists(`${prefix}worker:${ids[0]}`)).toBe(0);
    for (const lease of leases.slice(1)) await lease.release();
  });

  it('keeps its lease alive, and says so loudly if another node took it after a stall', async () => {
    const errors = new Collector<string>();
    const lease = await WorkerIdLease.acquire(redis, { prefix, ttlMs: 300, renewMs: 50, logger: { ...quiet, error: (message: string) => errors.push(message) } });
    const key = `${prefix}worker:${lease.workerId}`;
    const token = await redis.get(key);
    await redis.pexpire(key, 100); // renewals must keep pushing it out again
    const deadline = Date.now() + 2000;
    while ((await redis.pttl(key)) < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await redis.get(key)).toBe(token);

    await redis.set(key, 'another node');
    await errors.count(1, 2000);
    expect(errors.items[0]).toMatch(new RegExp(`worker ID ${lease.workerId} was leased to another node`));
    await lease.release();
    expect(await redis.get(key)).toBe('another node'); // not ours to release
  });
});
