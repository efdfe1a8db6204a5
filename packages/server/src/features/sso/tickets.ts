import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock';
import { hashToken, newToken } from '../../core/tokens';
import type { SsoTicketKind, SsoTicketRow, SsoTicketsTable, Tables } from '../../db/tables';
import { fieldError } from '../../http/errors';

/**
 * How long each step may wait. Starting a link and redeeming a sign-in are done by the browser
 * at once; choosing a username or typing a password takes a person a little longer.
 */
const TTL_MS: Record<SsoTicketKind, number> = {
  start_link: 5 * 60 * 1000,
  sign_in: 2 * 60 * 1000,
  sign_up: 15 * 60 * 1000,
  link: 15 * 60 * 1000,
};

export type TicketFields = Omit<SsoTicketsTable, 'token_hash' | 'kind' | 'expires_at'>;

const invalid = () => fieldError('ticket', 'INVALID_TICKET', 'This sign-in has expired or was already used. Start again.');

/**
 * The single-use tickets that carry a single sign-on from one step to the next (the callback to
 * the web client, settings to the provider). Only their SHA-256 is stored, like session tokens;
 * using one deletes it in the same statement that reads it, so two uses cannot both succeed.
 */
export class SsoTickets {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  async issue(kind: SsoTicketKind, fields: TicketFields): Promise<string> {
    const ticket = newToken();
    const now = this.clock.now();
    // Expired tickets are worthless; clearing them here keeps the table small without a timer.
    await this.db.deleteFrom('sso_tickets').where('expires_at', '<=', now).execute();
    await this.db
      .insertInto('sso_tickets')
      .values({ ...fields, token_hash: hashToken(ticket), kind, expires_at: now + TTL_MS[kind] })
      .execute();
    return ticket;
  }

  /** Reads a live ticket of one of `kinds` without using it up; 400 naming `ticket` otherwise. */
  async peek(ticket: string, kinds: readonly SsoTicketKind[]): Promise<SsoTicketRow> {
    const row = await this.db.selectFrom('sso_tickets').selectAll().where('token_hash', '=', hashToken(ticket)).executeTakeFirst();
    if (!row || !kinds.includes(row.kind) || row.expires_at <= this.clock.now()) throw invalid();
    return row;
  }

  /**
   * Uses a ticket up, inside the caller's transaction (so a failure after it gives the ticket
   * back); 400 naming `ticket` when it is unknown, of another kind, expired or already used.
   */
  async consume(db: Kysely<Tables>, ticket: string, kind: SsoTicketKind): Promise<SsoTicketRow> {
    const row = await db.deleteFrom('sso_tickets').where('token_hash', '=', hashToken(ticket)).where('kind', '=', kind).returningAll().executeTakeFirst();
    if (!row || row.expires_at <= this.clock.now()) throw invalid();
    return row;
  }
}
