import { type Snowflake, isTotpCode } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';
import { fieldError } from '../../http/errors';
import type { SignInSource } from '../auth/sign-in-sources';
import type { AuthRateLimiter } from '../auth/rate-limit';
import { consumeRecoveryCode } from './recovery-codes';
import { totpStep } from './totp';

/**
 * Checks a second factor typed by a person (MfaCode: 6 digits from the app, or a recovery
 * code) for an account with 2FA on. A recovery code is used up; an app code is accepted once:
 * its time step must come after the last accepted one, recorded by a conditional update so two
 * requests racing with the same code cannot both pass.
 */
async function verifySecondFactor(db: Kysely<Tables>, userId: Snowflake, code: string, now: number): Promise<boolean> {
  if (!isTotpCode(code)) return consumeRecoveryCode(db, userId, code);
  const row = await db.selectFrom('totp_secrets').select(['secret', 'last_step']).where('user_id', '=', userId).executeTakeFirst();
  if (!row) return false;
  const step = totpStep(row.secret, code, now);
  if (step === null || step <= row.last_step) return false;
  const claimed = await db.updateTable('totp_secrets').set({ last_step: step }).where('user_id', '=', userId).where('last_step', '<', step).executeTakeFirst();
  return claimed.numUpdatedRows > 0n;
}

/**
 * verifySecondFactor behind the per-account limits of wrong codes (auth/rate-limit.ts): throws
 * 429 once they are spent from here, or a 400 naming `field` for a wrong code.
 */
export async function requireSecondFactor(
  deps: { db: Kysely<Tables>; authLimiter: AuthRateLimiter; now: number },
  userId: Snowflake,
  code: string,
  source: SignInSource,
  field = 'code',
): Promise<void> {
  const attempt = await deps.authLimiter.secondFactorAttempt(userId, source);
  if (!(await verifySecondFactor(deps.db, userId, code, deps.now))) {
    await attempt.failed();
    throw fieldError(field, 'MFA_CODE_INVALID', 'Invalid two-factor code.');
  }
  await attempt.succeeded();
}
