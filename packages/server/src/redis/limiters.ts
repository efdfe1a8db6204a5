import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../core/rate-limits';

/** Rate limiters whose counters live in Redis, so a limit holds however requests spread over nodes. */
export function redisLimiters(redis: Redis, prefix: string): LimiterFactory {
  return (options) => new RateLimiterRedis({ ...options, storeClient: redis, keyPrefix: `${prefix}rate:${options.keyPrefix}` });
}
