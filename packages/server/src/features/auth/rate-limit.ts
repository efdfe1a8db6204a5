import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../../http/errors';

export interface AuthRateLimits {
  authPerIp: { points: number; seconds: number };
  failedLoginsPerAccount: { points: number; seconds: number };
}

/**
 * Slows down password guessing and sign-up floods: every sign-in attempt (login, register,
 * guest) counts against the client IP; failed logins also count against the account, which
 * stops a botnet spreading guesses for one account over many IPs.
 *
 * In-process counters: with several nodes each node counts on its own, which still caps an
 * attacker at (nodes × limit). Shared counters arrive with the Redis bus.
 */
export class AuthRateLimiter {
  private readonly perIp: RateLimiterMemory;
  private readonly perAccount: RateLimiterMemory;

  constructor(limits: AuthRateLimits) {
    this.perIp = new RateLimiterMemory({ keyPrefix: 'auth-ip', points: limits.authPerIp.points, duration: limits.authPerIp.seconds });
    this.perAccount = new RateLimiterMemory({
      keyPrefix: 'auth-account',
      points: limits.failedLoginsPerAccount.points,
      duration: limits.failedLoginsPerAccount.seconds,
    });
  }

  /** Counts one attempt from this IP; throws 429 once over the limit. */
  async attemptFromIp(ip: string): Promise<void> {
    await this.perIp.consume(ip).catch(rethrowAsRateLimited);
  }

  /** Throws 429 while this account is locked by failed logins. */
  async checkAccount(login: string): Promise<void> {
    const state = await this.perAccount.get(login);
    if (state && state.remainingPoints <= 0) rethrowAsRateLimited(state);
  }

  async failedLogin(login: string): Promise<void> {
    await this.perAccount.consume(login).catch(() => undefined);
  }

  async successfulLogin(login: string): Promise<void> {
    await this.perAccount.delete(login);
  }
}

function rethrowAsRateLimited(reason: unknown): never {
  if (reason instanceof RateLimiterRes) {
    throw new ApiError('RATE_LIMITED', { retryAfter: Math.max(reason.msBeforeNext, 1) / 1000 });
  }
  throw reason;
}
