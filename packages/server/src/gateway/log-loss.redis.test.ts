import { routes } from '@parley/protocol';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventLog } from '../bus/redis-log';
import { systemClock } from '../core/clock';
import { Collector } from '../testing/collector';
import { signUp } from '../testing/fixtures';
import { TEST_REDIS_URL, connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import { startTestServer, type TestServer } from '../testing/server';

const prefix = testRedisPrefix();
let server: TestServer;
let redis: Redis;
beforeAll(async () => {
  redis = await connectTestRedis();
  server = await startTestServer({ env: { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix } });
});
afterAll(async () => {
  await server?.close();
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('a node that missed events', () => {
  it('makes its clients re-sync rather than carry on with a hole (here: Redis restarted empty)', async () => {
    const { client } = await signUp(server);
    const live = await server.connect(client.token!);
    const created = live.gateway.once('GUILD_CREATE');
    await client.request(routes.guilds.create, { body: { name: 'Before the reset' } });
    await created;
    const readies = new Collector<unknown>();
    const invalidated = new Collector<unknown>();
    live.gateway.on('READY', readies.push);
    live.gateway.on('invalidated', invalidated.push);

    // Redis comes back empty and another node carries on publishing: this node's reader finds
    // entries from a new log, so the sessions it serves cannot trust what they were sent.
    await deleteKeys(redis, prefix);
    const otherNode = await RedisEventLog.open(redis, systemClock, { prefix, windowMs: 60_000, maxEntries: 1000, logger: console });
    await otherNode.append(Array.from({ length: 5 }, () => ({ t: 'TYPING_START' as const, d: '{}', to: {}, intent: 0 })));
    await otherNode.close();

    await readies.count(1, 10_000);
    expect(invalidated.items).toHaveLength(1); // the session was lost with the data: identified afresh
    expect(live.cache.guilds.size).toBe(1);
  });
});
