import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { fieldError } from '../../http/errors';
import { verifyPassword } from '../auth/passwords';
import type { SignInSource } from '../auth/sign-in-sources';
import { requireSecondFactor } from './second-factor';

/** What a sensitive action asks for (the body fields `password` and `code`). */
export interface Proof {
  password?: string | undefined;
  code?: string | undefined;
}

/**
 * Which proof an action needs:
 * - 'password': the current password, and with 2FA on an app or recovery code as well
 *   (changing username, e-mail or password, as Discord asks);
 * - 'password-or-code': the password, or with 2FA on a code instead (regenerating recovery
 *   codes, adding or removing a passkey);
 * - 'code': a second factor (turning 2FA off).
 */
export type ProofRule = 'password' | 'password-or-code' | 'code';

/**
 * The one check every sensitive action makes before it changes anything: that the person at
 * the keyboard is the account's owner, not someone holding a stolen session token. Missing
 * fields are named before any check runs; wrong passwords and wrong codes count towards the
 * same per-account limits as failed sign-ins from where the request comes (auth/rate-limit.ts).
 */
export async function confirmIdentity(ctx: AppContext, user: UserRow, proof: Proof, source: SignInSource, rule: ProofRule): Promise<void> {
  if (user.guest || !user.password_hash) throw fieldError('password', 'PASSWORD_REQUIRED', 'Keep your account first: choose a username and password.');
  const mfa = user.mfa_enabled === 1;
  const needs = { password: false, code: false };
  if (rule === 'code') {
    if (!mfa) throw fieldError('code', 'MFA_NOT_ENABLED', 'Two-factor authentication is not turned on.');
    needs.code = true;
  } else if (rule === 'password') {
    needs.password = true;
    needs.code = mfa;
  } else if (mfa && proof.code !== undefined) {
    needs.code = true;
  } else {
    needs.password = true;
  }
  if (needs.password && !proof.password) {
    throw fieldError('password', 'PASSWORD_REQUIRED', rule === 'password-or-code' && mfa ? 'Enter your password or a two-factor code.' : 'Enter your current password.');
  }
  if (needs.code && !proof.code) throw fieldError('code', 'MFA_CODE_REQUIRED', 'Enter the 6-digit code from your authenticator app, or a recovery code.');

  if (needs.password) {
    const attempt = await ctx.authLimiter.passwordAttempt(user.id, user.id, source);
    if (!(await verifyPassword(user.password_hash, proof.password!))) {
      await attempt.failed();
      throw fieldError('password', 'PASSWORD_DOES_NOT_MATCH', 'Password does not match.');
    }
  }
  if (needs.code) await requireSecondFactor({ db: ctx.db, authLimiter: ctx.authLimiter, now: ctx.clock.now() }, user.id, proof.code!, source);
}
