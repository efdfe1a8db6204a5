import type { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import { redisLimiters } from './limiters';

const prefix = testRedisPrefix();
const otherDeployment = testRedisPrefix();
let nodeA: Redis;
let nodeB: Redis;
beforeAll(async () => {
  [nodeA, nodeB] = await Promise.all([connectTestRedis(), connectTestRedis()]);
});
afterAll(async () => {
  await deleteKeys(nodeA, prefix);
  await deleteKeys(nodeA, otherDeployment);
  await Promise.all([nodeA.quit(), nodeB.quit()]);
});

describe('redisLimiters', () => {
  it('counts against one limit however the attempts are spread across nodes', async () => {
    const options = { keyPrefix: 'send', points: 3, duration: 60 };
    const onA = redisLimiters(nodeA, prefix)(options);
    const onB = redisLimiters(nodeB, prefix)(options);
    await onA.consume('user-1');
    await onB.consume('user-1');
    await onA.consume('user-1');
    const refused = await onB.consume('user-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimiterRes);
    expect((refused as RateLimiterRes).msBeforeNext).toBeGreaterThan(50_000);
    // Other keys, other limiters and other deployments (prefixes) count separately.
    await onB.consume('user-2');
    await redisLimiters(nodeB, prefix)({ ...options, keyPrefix: 'auth-ip' }).consume('user-1');
    await redisLimiters(nodeB, otherDeployment)(options).consume('user-1');
  });
});
