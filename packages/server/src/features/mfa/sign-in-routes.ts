import { routes } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { describeClient } from '../auth/client-info';
import { sourceOf } from '../auth/sign-in-sources';
import { markPasskeyUsed } from './passkeys';
import { recordSignIn } from '../security-events/events';
import { requireSecondFactor } from './second-factor';
import { findTicket, redeemTicket, ticketFailed } from './tickets';
import { relyingParty, signInOptions, takeChallenge, verifyAssertion, challengeOf } from './webauthn';

/** The second step of a sign-in with 2FA, and signing in with a passkey alone. */
export function mfaSignInRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, authLimiter } = ctx;
  const route = routeRegistrar(app, ctx);
  const rpFor = async (request: FastifyRequest) => relyingParty(ctx.config.publicUrl, request, (await ctx.settings.get()).name);

  /** The sign-in is complete: a session, and this place remembered as the owner's (auth/rate-limit.ts). */
  const signIn = async (userId: UserRow['id'], request: FastifyRequest, reply: FastifyReply) => {
    await recordSignIn(ctx, userId, request);
    const token = await ctx.sessions.create(db, userId, { description: describeClient(request.headers['user-agent']), ip: request.ip });
    await authLimiter.knownSources.remember(db, userId, request, reply);
    return { token, user_id: userId };
  };

  route(routes.mfa.loginTotp, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const ticket = await findTicket(db, body.ticket, ctx.clock.now());
    try {
      await requireSecondFactor({ db, authLimiter, now: ctx.clock.now() }, ticket.user_id, body.code, sourceOf(request));
    } catch (error) {
      await ticketFailed(db, ticket);
      throw error;
    }
    await redeemTicket(db, ticket);
    return signIn(ticket.user_id, request, reply);
  });

  route(routes.mfa.loginWebAuthn, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const ticket = await findTicket(db, body.ticket, ctx.clock.now());
    try {
      // The answer must be to this ticket's challenge, from one of this account's passkeys.
      if (!ticket.challenge || challengeOf(body.credential) !== ticket.challenge) throw fieldError('credential', 'PASSKEY_INVALID', 'This passkey could not be verified. Try again.');
      const passkey = await db.selectFrom('passkeys').selectAll().where('credential_id', '=', body.credential.id).where('user_id', '=', ticket.user_id).executeTakeFirst();
      if (!passkey) throw fieldError('credential', 'PASSKEY_INVALID', 'This passkey is not registered to this account.');
      const counter = await verifyAssertion(await rpFor(request), passkey, body.credential, ticket.challenge, false);
      await redeemTicket(db, ticket);
      await markPasskeyUsed(db, passkey, counter, ctx.clock.now());
    } catch (error) {
      await ticketFailed(db, ticket);
      throw error;
    }
    return signIn(ticket.user_id, request, reply);
  });

  route(routes.mfa.passkeySignInOptions, async ({ request }) => {
    await authLimiter.attemptFromIp(request.ip);
    return signInOptions(db, await rpFor(request), ctx.clock.now());
  });

  route(routes.mfa.passkeySignIn, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const challenge = await takeChallenge(db, body.credential, 'sign-in', null, ctx.clock.now());
    const passkey = await db.selectFrom('passkeys').selectAll().where('credential_id', '=', body.credential.id).executeTakeFirst();
    if (!passkey) throw fieldError('credential', 'PASSKEY_INVALID', 'This passkey is not registered here.');
    // Alone, a passkey must have checked who holds it (PIN or biometrics): that is its second factor.
    const counter = await verifyAssertion(await rpFor(request), passkey, body.credential, challenge, true);
    await markPasskeyUsed(db, passkey, counter, ctx.clock.now());
    return signIn(passkey.user_id, request, reply);
  });
}
