import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { type LimiterFactory, asRateLimited, consumeOrThrow } from '../../core/rate-limits';

export interface AuthRateLimits {
  authPerIp: { points: number; seconds: number };
  failedLoginsPerAccount: { points: number; seconds: number };
}

/**
 * Slows down password guessing and sign-up floods: every sign-in attempt (login, register,
 * guest) counts against the client IP; failed logins also count against the account, which
 * stops a botnet spreading guesses for one account over many IPs.
 *
 * Counters come from the limiter factory: per process on one node, shared in Redis across nodes.
 */
export class AuthRateLimiter {
  private readonly perIp: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;

  constructor(limits: AuthRateLimits, limiters: LimiterFactory) {
    this.perIp = limiters({ keyPrefix: 'auth-ip', points: limits.authPerIp.points, duration: limits.authPerIp.seconds });
    this.perAccount = limiters({
      keyPrefix: 'auth-account',
      points: limits.failedLoginsPerAccount.points,
      duration: limits.failedLoginsPerAccount.seconds,
    });
  }

  /** Counts one attempt from this IP; throws 429 once over the limit. */
  async attemptFromIp(ip: string): Promise<void> {
    await consumeOrThrow(this.perIp, ip);
  }

  /** Throws 429 while this account is locked by failed logins. */
  async checkAccount(login: string): Promise<void> {
    const state = await this.perAccount.get(login);
    if (state && state.remainingPoints <= 0) throw asRateLimited(state);
  }

  async failedLogin(login: string): Promise<void> {
    await this.perAccount.consume(login).catch(() => undefined);
  }

  async successfulLogin(login: string): Promise<void> {
    await this.perAccount.delete(login);
  }
}
