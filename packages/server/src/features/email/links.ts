import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { hashToken, newToken } from '../../core/tokens';
import type { EmailTokenPurpose, Tables } from '../../db/tables';

/** How long a confirmation link works (a reset link's lifetime is the operator's: PASSWORD_RESET_TTL_MINUTES). */
export const VERIFY_LINK_TTL_MS = 24 * 3600_000;

/**
 * The tokens of mailed links. Only the hash is stored; a new link of one purpose replaces the
 * account's earlier ones (only the latest mail works), and using a link deletes it, so it works
 * once even when two requests race with it.
 */
export async function issueLink(db: Kysely<Tables>, link: { userId: Snowflake; purpose: EmailTokenPurpose; email: string; now: number; ttlMs: number }): Promise<string> {
  const token = newToken();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('email_tokens').where('user_id', '=', link.userId).where('purpose', '=', link.purpose).execute();
    await trx
      .insertInto('email_tokens')
      .values({ token_hash: hashToken(token), user_id: link.userId, purpose: link.purpose, email: link.email, created_at: link.now, expires_at: link.now + link.ttlMs })
      .execute();
  });
  return token;
}

/** Uses a link: returns whose it was and the address it was sent to, or null if unknown, used or expired. */
export async function consumeLink(db: Kysely<Tables>, token: string, purpose: EmailTokenPurpose, now: number): Promise<{ userId: Snowflake; email: string } | null> {
  const row = await db.deleteFrom('email_tokens').where('token_hash', '=', hashToken(token)).where('purpose', '=', purpose).returning(['user_id', 'email', 'expires_at']).executeTakeFirst();
  if (!row || row.expires_at <= now) return null;
  return { userId: row.user_id, email: row.email };
}

/** Forgets an account's links of one purpose (a reset link dies once the password is set). */
export async function dropLinks(db: Kysely<Tables>, userId: Snowflake, purpose: EmailTokenPurpose): Promise<void> {
  await db.deleteFrom('email_tokens').where('user_id', '=', userId).where('purpose', '=', purpose).execute();
}
