import { randomInt } from 'node:crypto';
import { type BackupCode, RECOVERY_CODE_COUNT, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { hashToken } from '../../core/tokens';
import type { Tables } from '../../db/tables';

/** Lowercase base32: no 0/1/8/9 to confuse with letters, and what MfaCode accepts. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Ten characters (50 bits): with the per-account attempt limits, far beyond guessing. */
function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/**
 * Replaces the account's recovery codes with fresh ones (the old ones die) and returns them:
 * the only time they exist outside the person's hands. Stored as SHA-256, like tokens.
 */
export async function replaceRecoveryCodes(db: Kysely<Tables>, userId: Snowflake): Promise<BackupCode[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('recovery_codes')
    .values(codes.map((code) => ({ user_id: userId, code_hash: hashToken(code) })))
    .execute();
  // Shown as two groups of five, the way people copy them; typed either way.
  return codes.map((code) => ({ user_id: userId, code: `${code.slice(0, 5)}-${code.slice(5)}`, consumed: false }));
}

/** Uses up one recovery code (normalised by MfaCode); false when it is not one of the account's unused codes. */
export async function consumeRecoveryCode(db: Kysely<Tables>, userId: Snowflake, code: string): Promise<boolean> {
  // The delete is the check: of two requests racing with one code, one deletes it, the other finds nothing.
  const result = await db.deleteFrom('recovery_codes').where('user_id', '=', userId).where('code_hash', '=', hashToken(code)).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function hasRecoveryCodes(db: Kysely<Tables>, userId: Snowflake): Promise<boolean> {
  return (await db.selectFrom('recovery_codes').select('user_id').where('user_id', '=', userId).limit(1).executeTakeFirst()) !== undefined;
}
