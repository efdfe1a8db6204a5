import type { Snowflake } from '@parley/protocol';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { type LimiterFactory, asRateLimited, consumeOrThrow } from '../../core/rate-limits';
import type { KnownSources, SignInSource } from './sign-in-sources';

export interface AuthRateLimits {
  authPerIp: { points: number; seconds: number };
  failedLoginsPerAccount: { points: number; seconds: number };
}

/** An account's failure counters of one kind (see AuthRateLimiter). */
interface AccountCounters {
  unfamiliar: RateLimiterAbstract;
  perKnownSource: RateLimiterAbstract;
}

/** One password (or second-factor) check in progress: report how it went. */
export interface PasswordAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/**
 * Slows down password guessing and sign-up floods without letting anyone lock the owner out.
 *
 * - Every sign-in attempt (login, register, guest, upgrade) counts against the client IP
 *   (AUTH_RATE_LIMIT_IP).
 * - A wrong password counts against the account, in one of two kinds of counter
 *   (each AUTH_RATE_LIMIT_ACCOUNT failures per window):
 *   - from a **known source** of the account (a device cookie or an IP it signed in from
 *     successfully in the last 180 days: sign-in-sources.ts), against that source's own
 *     counter for the account. Only failures from that very source spend it, so the owner
 *     mistyping is slowed down, and an attacker elsewhere cannot touch it;
 *   - from anywhere else, against one counter the account shares across all unfamiliar
 *     sources, which stops a botnet spreading guesses for one account over many IPs. When it
 *     is spent, unfamiliar sources are refused until the window passes; known ones are not.
 *   Once a counter is spent, attempts through it are refused with 429 and `retry_after`, even
 *   with the right password (or the limit would tell a guesser when they were right).
 * - A successful sign-in clears the known source's counter it used, and makes its IP and
 *   device known. It does not clear the unfamiliar counter: the owner signing in says nothing
 *   about the guesses others are making.
 *
 * - Wrong second factors (features/mfa) follow the same rule in counters of their own
 *   (secondFactorAttempt), so a thief with the password cannot lock the owner out either.
 *
 * Unknown logins (no such account) are counted as unfamiliar under the login text.
 * Counters come from the limiter factory: per process on one node, shared in Redis across
 * nodes; known sources are in the database.
 */
export class AuthRateLimiter {
  private readonly perIp: RateLimiterAbstract;
  private readonly passwords: AccountCounters;
  /** Wrong second-factor codes (2FA sign-in, sensitive actions): the same rules, their own counters. */
  private readonly secondFactors: AccountCounters;

  constructor(
    limits: AuthRateLimits,
    limiters: LimiterFactory,
    readonly knownSources: KnownSources,
  ) {
    const perAccount = limits.failedLoginsPerAccount;
    const counters = (prefix: string): AccountCounters => ({
      unfamiliar: limiters({ keyPrefix: `${prefix}-account`, points: perAccount.points, duration: perAccount.seconds }),
      perKnownSource: limiters({ keyPrefix: `${prefix}-known`, points: perAccount.points, duration: perAccount.seconds }),
    });
    this.perIp = limiters({ keyPrefix: 'auth-ip', points: limits.authPerIp.points, duration: limits.authPerIp.seconds });
    this.passwords = counters('auth');
    this.secondFactors = counters('mfa');
  }

  /** Counts one attempt from this IP; throws 429 once over the limit. */
  async attemptFromIp(ip: string): Promise<void> {
    await consumeOrThrow(this.perIp, ip);
  }

  /**
   * Before checking a password: picks the counter this attempt belongs to (see above) and
   * throws 429 when it is spent. `accountKey` is the user ID, or the login text when no
   * account matched (`userId` null).
   */
  async passwordAttempt(accountKey: string, userId: Snowflake | null, source: SignInSource): Promise<PasswordAttempt> {
    return this.attempt(this.passwords, accountKey, userId, source);
  }

  /**
   * Before checking a second factor (an app code, a recovery code): like passwordAttempt, with
   * counters of its own, so the owner's known devices keep working while a thief who has the
   * password spends the unfamiliar counter guessing codes.
   */
  async secondFactorAttempt(userId: Snowflake, source: SignInSource): Promise<PasswordAttempt> {
    return this.attempt(this.secondFactors, userId, userId, source);
  }

  private async attempt(counters: AccountCounters, accountKey: string, userId: Snowflake | null, source: SignInSource): Promise<PasswordAttempt> {
    const known = userId ? await this.knownSources.match(userId, source) : null;
    const [limiter, key] = known ? [counters.perKnownSource, `${accountKey}|${known}`] : [counters.unfamiliar, accountKey];
    const state = await limiter.get(key);
    if (state && state.remainingPoints <= 0) throw asRateLimited(state);
    return {
      failed: async () => {
        await limiter.consume(key).catch(() => undefined);
      },
      succeeded: async () => {
        if (known) await limiter.delete(key);
      },
    };
  }
}
