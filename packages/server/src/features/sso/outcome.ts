import { Limits, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock';
import type { SnowflakeGenerator } from '../../core/snowflake';
import type { Tables } from '../../db/tables';
import type { SignInClaims } from './claims';
import { addIdentity, findIdentity } from './identities';
import type { SsoTickets } from './tickets';
import { proposeUsername } from './username';

/**
 * After a provider vouched for someone signing in: the ticket for the web client's next step.
 * - The identity is linked already: a sign-in ticket for its account.
 * - A **verified** e-mail matches an account: a link ticket, redeemed only with that account's
 *   password (never linked on the e-mail alone, and never silently).
 * - Otherwise a sign-up ticket with a proposed username. An unverified e-mail is neither used to
 *   find an account (that would tell anyone who typed someone's address into a provider that
 *   the address has an account here) nor given to the new account (it would block the real
 *   owner from using it).
 */
export async function signInTicket(db: Kysely<Tables>, tickets: SsoTickets, provider: string, claims: SignInClaims): Promise<string> {
  const base = { provider, subject: claims.subject, email: claims.email, email_verified: claims.emailVerified ? (1 as const) : (0 as const), username: null, global_name: null };
  const linked = await findIdentity(db, provider, claims.subject);
  if (linked) return tickets.issue('sign_in', { ...base, user_id: linked.user_id });
  if (claims.email && claims.emailVerified) {
    const owner = await db.selectFrom('users').select('id').where('email', '=', claims.email).executeTakeFirst();
    if (owner) return tickets.issue('link', { ...base, user_id: owner.id });
  }
  const username = await proposeUsername(claims, async (name) => !(await db.selectFrom('users').select('id').where('username', '=', name).executeTakeFirst()));
  return tickets.issue('sign_up', { ...base, username, global_name: displayName(claims.name), user_id: null });
}

export type LinkResult = 'linked' | 'identity_taken' | 'provider_already_linked' | 'expired';

/** Linking from settings: the signed-in account (whose single-use ticket started the flow) gets the identity. */
export async function linkToAccount(deps: { db: Kysely<Tables>; ids: SnowflakeGenerator; clock: Clock }, userId: Snowflake, provider: string, claims: SignInClaims): Promise<LinkResult> {
  const { db } = deps;
  // The account may have gone (deleted, or turned into something that cannot link) since the trip began.
  const user = await db.selectFrom('users').select(['guest', 'bot']).where('id', '=', userId).executeTakeFirst();
  if (!user || user.guest || user.bot) return 'expired';
  const existing = await findIdentity(db, provider, claims.subject);
  if (existing) return existing.user_id === userId ? 'linked' : 'identity_taken';
  const sameProvider = await db.selectFrom('user_identities').select('id').where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
  if (sameProvider) return 'provider_already_linked';
  await addIdentity(db, { id: deps.ids.next(), user_id: userId, provider, subject: claims.subject, email: claims.email, created_at: deps.clock.now() });
  return 'linked';
}

/** The provider's `name` as a display name: no control characters, at most 32 characters. */
function displayName(name: string | null): string | null {
  const cleaned = name
    ?.replace(/[\u0000-\u001F\u007F]/g, ' ')
    .trim()
    .slice(0, Limits.displayNameMax)
    .trim();
  return cleaned || null;
}
