import type { Redis } from 'ioredis';
import type { InvalidationFence } from './bus';

/** Raises the key to ARGV[1] unless it is already past it (appends may finish out of order). */
const ADVANCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
`;

/** The fence in Redis, beside the log (REDIS_PREFIX): one GET per request, one script per cached-table write. */
export class RedisInvalidationFence implements InvalidationFence {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}cache:invalidated`;
  }

  async advance(seq: number): Promise<void> {
    await this.redis.eval(ADVANCE, 1, this.key, seq);
  }

  async latest(): Promise<number> {
    return Number((await this.redis.get(this.key)) ?? 0);
  }
}
