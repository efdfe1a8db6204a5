import type { Snowflake } from '@parley/protocol';
import type { Kysely, Selectable } from 'kysely';
import { hashToken, newToken } from '../../core/tokens';
import type { MfaTicketsTable, Tables } from '../../db/tables';
import { fieldError } from '../../http/errors';

/** How long a correct password waits for its second factor. */
const TICKET_LIFETIME_MS = 5 * 60_000;
/** Wrong codes one ticket takes before it is thrown away (the account's own limits apply too). */
const TICKET_MAX_FAILURES = 5;

export type MfaTicket = Selectable<MfaTicketsTable>;

/**
 * The login ticket: a correct password on an account with 2FA, waiting for the second factor.
 * Random, stored as SHA-256 like session tokens, valid 5 minutes, used at most once.
 */
export async function createTicket(db: Kysely<Tables>, userId: Snowflake, challenge: string | null, now: number): Promise<string> {
  await db.deleteFrom('mfa_tickets').where('expires_at', '<=', now).execute();
  const ticket = newToken();
  await db
    .insertInto('mfa_tickets')
    .values({ ticket_hash: hashToken(ticket), user_id: userId, challenge, expires_at: now + TICKET_LIFETIME_MS })
    .execute();
  return ticket;
}

const invalidTicket = () => fieldError('ticket', 'MFA_TICKET_INVALID', 'This sign-in has expired or was already used. Sign in again.');

/** The live ticket, or a 400 naming `ticket` when it is unknown, used or expired. */
export async function findTicket(db: Kysely<Tables>, ticket: string, now: number): Promise<MfaTicket> {
  const row = await db.selectFrom('mfa_tickets').selectAll().where('ticket_hash', '=', hashToken(ticket)).where('expires_at', '>', now).executeTakeFirst();
  if (!row) throw invalidTicket();
  return row;
}

/** Counts a wrong second factor against the ticket; its last allowed failure throws it away. */
export async function ticketFailed(db: Kysely<Tables>, ticket: MfaTicket): Promise<void> {
  if (ticket.failures + 1 >= TICKET_MAX_FAILURES) await db.deleteFrom('mfa_tickets').where('ticket_hash', '=', ticket.ticket_hash).execute();
  else
    await db
      .updateTable('mfa_tickets')
      .set({ failures: ticket.failures + 1 })
      .where('ticket_hash', '=', ticket.ticket_hash)
      .execute();
}

/** Uses the ticket up. Of two requests racing with it, the one that deletes it wins; the other gets the ticket error. */
export async function redeemTicket(db: Kysely<Tables>, ticket: MfaTicket): Promise<void> {
  const result = await db.deleteFrom('mfa_tickets').where('ticket_hash', '=', ticket.ticket_hash).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw invalidTicket();
}
