import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import { RedisSessionStore } from './redis-session-store';
import type { GatewaySession } from './session-store';

const prefix = testRedisPrefix();
const session = (id: string): GatewaySession => ({ id, userId: '42' as GatewaySession['userId'], bot: false, intents: 513, status: 'dnd' });

let redis: Redis;
beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('RedisSessionStore', () => {
  it('keeps a session for any node to resume, until it is deleted', async () => {
    const saving = new RedisSessionStore(redis, prefix, 60_000);
    const otherNode = await connectTestRedis();
    const resuming = new RedisSessionStore(otherNode, prefix, 60_000);
    await saving.save(session('a'));
    expect(await resuming.get('a')).toEqual(session('a'));
    expect(await resuming.get('b')).toBeNull();
    await resuming.delete('a');
    expect(await saving.get('a')).toBeNull();
    await otherNode.quit();
  });

  it('forgets a session after the resume window, which each save starts anew', async () => {
    const store = new RedisSessionStore(redis, prefix, 60_000);
    await store.save(session('window'));
    await redis.pexpire(`${prefix}session:window`, 1000); // as if most of the window had passed
    await store.save(session('window'));
    expect(await redis.pttl(`${prefix}session:window`)).toBeGreaterThan(59_000);

    const short = new RedisSessionStore(redis, prefix, 50);
    await short.save(session('short'));
    const deadline = Date.now() + 3000;
    while ((await short.get('short')) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await short.get('short')).toBeNull();
  });
});
