import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { RedisEventLog } from '../bus/redis-log';
import type { Config } from '../config';
import type { Clock } from '../core/clock';
import type { LimiterFactory } from '../core/rate-limits';
import { RedisSessionStore } from '../gateway/redis-session-store';
import { RedisPresenceStore } from '../presence/redis-presence';
import { redisLimiters } from './limiters';
import { WorkerIdLease } from './worker-id';

/** A worker ID lease outlives a node that died by this long before another node may take it. */
const WORKER_LEASE_MS = 5 * 60_000;

/** What several nodes share through Redis (REDIS_URL): each replaces its single-node, in-memory counterpart. */
export interface RedisSharedState {
  log: RedisEventLog;
  /** The command connection, for what else is shared beside the log (cache/redis-fence.ts). */
  redis: Redis;
  presence: RedisPresenceStore;
  sessions: RedisSessionStore;
  limiters: LimiterFactory;
  /** A worker ID leased for this node, or null when WORKER_ID is configured. */
  workerId: number | null;
  /** Releases the worker ID and the connection (close the log and presence first: they still use it). */
  close(): Promise<void>;
}

/** Connects to Redis (failing fast when it cannot be reached) and builds everything shared on it. */
export async function openRedisSharedState(config: Config, clock: Clock, logger: FastifyBaseLogger): Promise<RedisSharedState> {
  const url = config.redisUrl!;
  const prefix = config.redisPrefix;
  const redis = new Redis(url, { lazyConnect: true, connectionName: `${prefix}node` });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error'));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Cannot reach Redis at ${new URL(url).host}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const renewMs = Math.max(100, Math.floor(config.nodeTimeoutMs / 3));
  const lease = config.workerId === null ? await WorkerIdLease.acquire(redis, { prefix, ttlMs: WORKER_LEASE_MS, renewMs, logger }) : null;
  const { resumeWindowMs: windowMs, maxLogEntries: maxEntries } = config.gateway;
  return {
    log: await RedisEventLog.open(redis, clock, { prefix, windowMs, maxEntries, logger }),
    redis,
    presence: await RedisPresenceStore.open(redis, { prefix, nodeTimeoutMs: config.nodeTimeoutMs, logger }),
    sessions: new RedisSessionStore(redis, prefix, windowMs),
    limiters: redisLimiters(redis, prefix),
    workerId: lease?.workerId ?? null,
    close: async () => {
      await lease?.release().catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
