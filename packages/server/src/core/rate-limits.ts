import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../http/errors';

export interface LimiterOptions {
  /** Distinguishes this limiter's counters from others' in a shared store. */
  keyPrefix: string;
  points: number;
  /** Seconds. */
  duration: number;
}

/**
 * Makes rate limiters: in process memory on one node; in Redis (shared) when several nodes run,
 * so a limit holds however requests are spread across them.
 */
export type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options);

/** Consumes a point; over the limit it throws 429 with the wait in `retry_after`. */
export async function consumeOrThrow(limiter: RateLimiterAbstract, key: string, error: 'RATE_LIMITED' | 'SLOWMODE' = 'RATE_LIMITED'): Promise<void> {
  await limiter.consume(key).catch((reason: unknown) => {
    throw asRateLimited(reason, error);
  });
}

export function asRateLimited(reason: unknown, error: 'RATE_LIMITED' | 'SLOWMODE' = 'RATE_LIMITED'): unknown {
  return reason instanceof RateLimiterRes ? new ApiError(error, { retryAfter: Math.max(reason.msBeforeNext, 1) / 1000 }) : reason;
}
