import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/** CI's Redis: 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test file uses, so tests share one Redis without seeing each other's keys. */
export function testRedisPrefix(): string {
  return `parley-test:${randomBytes(6).toString('hex')}:`;
}

/** A connection to the test Redis (close it with quit()). */
export async function connectTestRedis(options: RedisOptions = {}, url = TEST_REDIS_URL): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, ...options });
  redis.on('error', () => undefined); // reconnects are part of some tests; failures surface in commands
  await redis.connect();
  return redis;
}

/** Deletes every key under a prefix (what a test stored), a batch at a time. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}
