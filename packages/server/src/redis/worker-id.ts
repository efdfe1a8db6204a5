import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/** Snowflakes have 10 bits of worker ID. */
const WORKER_IDS = 1024;

/** KEYS: lease. ARGV: token, ttl ms. Returns 1 while the lease is ours (taking it back if it lapsed), 0 once someone else holds it. */
const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease. ARGV: token. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

export interface WorkerIdLeaseOptions {
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  /** A lease not renewed for this long is free for another node. */
  ttlMs: number;
  /** How often the holder renews it (well under ttlMs). */
  renewMs: number;
  logger: Pick<FastifyBaseLogger, 'warn' | 'error'>;
}

/**
 * A snowflake worker ID no other running node holds, leased in Redis (for when WORKER_ID is not
 * set). Nodes start their search at a shared counter, so they rarely contend for the same ID; a
 * lease held by a running node is renewed, and one left by a node that died lapses for reuse.
 * Unlike a bare counter modulo 1024, this stays unique however many nodes have come and gone.
 */
export class WorkerIdLease {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly redis: Redis & Record<'parleyWorkerRenew' | 'parleyWorkerRelease', (...args: string[]) => Promise<number>>,
    readonly workerId: number,
    private readonly token: string,
    private readonly options: WorkerIdLeaseOptions,
  ) {
    this.timer = setInterval(() => void this.renew(), options.renewMs).unref();
  }

  static async acquire(redis: Redis, options: WorkerIdLeaseOptions): Promise<WorkerIdLease> {
    redis.defineCommand('parleyWorkerRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('parleyWorkerRelease', { numberOfKeys: 1, lua: RELEASE });
    const token = randomBytes(8).toString('hex');
    const start = (await redis.incr(`${options.prefix}worker:next`)) - 1;
    for (let i = 0; i < WORKER_IDS; i++) {
      const id = (start + i) % WORKER_IDS;
      if (await redis.set(`${options.prefix}worker:${id}`, token, 'PX', options.ttlMs, 'NX')) {
        return new WorkerIdLease(redis as never, id, token, options);
      }
    }
    throw new Error(`All ${WORKER_IDS} worker IDs are leased by running nodes; set WORKER_ID explicitly or retire some nodes`);
  }

  /** Gives the ID back, so a node starting next can have it at once. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.parleyWorkerRelease(this.key(), this.token);
  }

  private async renew(): Promise<void> {
    try {
      if ((await this.redis.parleyWorkerRenew(this.key(), this.token, String(this.options.ttlMs))) === 0) {
        // Only after a stall longer than the lease: another node now mints with our ID.
        this.options.logger.error(`worker ID ${this.workerId} was leased to another node while this one stalled; restart this node to avoid duplicate IDs`);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'worker ID lease: renewal failed');
    }
  }

  private key(): string {
    return `${this.options.prefix}worker:${this.workerId}`;
  }
}
