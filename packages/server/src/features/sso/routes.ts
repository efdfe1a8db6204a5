import { API_PREFIX, SSO_COMPLETE_PATH, type SsoErrorCode, routes } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { describeClient } from '../auth/client-info';
import { verifyPassword } from '../auth/passwords';
import { assertRegistrationAllowed, claimInviteIfRequired } from '../auth/registration';
import { sourceOf } from '../auth/sign-in-sources';
import { instanceSecret } from '../instance/secrets';
import { assertAvailable, getUserOrThrow, uniqueFieldError } from '../users/queries';
import { CallbackError, authorizationRequest, claimsFromCallback } from './callback';
import { FLOW_TTL_MS, FlowCookie } from './flow-cookie';
import { addIdentity, findIdentity, identitiesOf, removeIdentity, toIdentity } from './identities';
import { recordSignIn } from '../security-events/events';
import { linkToAccount, signInTicket } from './outcome';
import { OidcProviders, ProviderUnavailableError } from './providers';
import { SsoTickets } from './tickets';

/** Single sign-on through the operator's OpenID Connect providers (OIDC_PROVIDERS). */
export function ssoRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, sessions, authLimiter, settings, registrationInvites, config } = ctx;
  const { knownSources } = authLimiter;
  const route = routeRegistrar(app, ctx);
  const providers = new OidcProviders(config.sso.providers, config.publicUrl);
  const tickets = new SsoTickets(db, ctx.clock);
  let key: Promise<Buffer> | null = null;
  const flows = new FlowCookie(() => (key ??= instanceSecret(db, 'sso-flow', ctx.clock.now())), config.publicUrl?.startsWith('https:') ?? false);
  const log = app.log.child({ subsystem: 'sso' });
  const clientOf = (request: FastifyRequest) => ({ description: describeClient(request.headers['user-agent']), ip: request.ip });

  for (const provider of config.sso.providers) log.info({ provider: provider.id, redirect_uri: providers.redirectUri(provider.id) }, 'single sign-on provider configured');

  /** Ends a browser's trip on the web page that finishes it; what it needs goes in the fragment, which no server or log sees. */
  const toCompletePage = (reply: FastifyReply, fragment: Record<string, string>) => reply.redirect(`${config.publicUrl ?? ''}${SSO_COMPLETE_PATH}#${new URLSearchParams(fragment).toString()}`);
  const failTo = (reply: FastifyReply, error: SsoErrorCode, linking: boolean) => toCompletePage(reply, { error, ...(linking && { from: 'settings' }) });

  route(routes.sso.providers, async () => ({ providers: providers.list(), sso_only: config.sso.ssoOnly }));

  route(routes.sso.start, async ({ params, query, request, reply }) => {
    const provider = providers.get(params.provider_id);
    let linkUserId = null;
    if (query.link) {
      // The ticket from POST /users/@me/identities: proof that a signed-in person asked for this.
      const ticket = await tickets.consume(db, query.link, 'start_link').catch(() => null);
      if (!ticket || ticket.provider !== provider.id) return failTo(reply, 'expired', true);
      linkUserId = ticket.user_id;
    }
    try {
      const { url, secrets } = await authorizationRequest(providers, provider.id);
      await flows.set(request, reply, { provider: provider.id, ...secrets, link_user_id: linkUserId, expires_at: ctx.clock.now() + FLOW_TTL_MS });
      return reply.redirect(url.href);
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError)) throw error;
      log.warn({ provider: provider.id, err: error.cause }, 'single sign-on provider unavailable');
      return failTo(reply, 'unavailable', linkUserId !== null);
    }
  });

  route(routes.sso.callback, async ({ params, query, request, reply }) => {
    const provider = providers.get(params.provider_id);
    const flow = await flows.read(request, ctx.clock.now());
    flows.clear(request, reply);
    // No flow from this browser (expired, tampered, started elsewhere) or one for another provider.
    if (!flow || flow.provider !== provider.id) return failTo(reply, 'expired', false);
    const linking = flow.link_user_id !== null;
    // Each callback costs a token request to the provider: counted like any sign-in attempt.
    try {
      await authLimiter.attemptFromIp(request.ip);
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) return failTo(reply, 'too_many', linking);
      throw error;
    }
    let claims;
    try {
      claims = await claimsFromCallback(providers, flow, query);
    } catch (error) {
      if (!(error instanceof CallbackError)) throw error;
      // Said without the URL: it holds the authorization code.
      log.warn({ provider: provider.id, reason: error.code, err: error.cause }, 'single sign-on callback refused');
      return failTo(reply, error.code, linking);
    }
    if (flow.link_user_id) {
      const result = await linkToAccount(ctx, flow.link_user_id, provider.id, claims);
      return result === 'linked' ? toCompletePage(reply, { linked: provider.id }) : failTo(reply, result, true);
    }
    return toCompletePage(reply, { ticket: await signInTicket(db, tickets, provider.id, claims) });
  });

  route(routes.sso.redeemTicket, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const pending = await tickets.peek(body.ticket, ['sign_in', 'sign_up', 'link']);
    if (pending.kind === 'sign_in') {
      // Signed in here rather than in the callback: this request is same-site, so it carries the
      // browser's device cookie (SameSite=Strict) that a provider's redirect would not.
      const userId = pending.user_id!;
      await recordSignIn(ctx, userId, request);
      const token = await db.transaction().execute(async (trx) => {
        await tickets.consume(trx, body.ticket, 'sign_in');
        await knownSources.remember(trx, userId, request, reply);
        return sessions.create(trx, userId, clientOf(request));
      });
      return { action: 'sign_in' as const, token, user_id: userId };
    }
    const provider = providers.get(pending.provider);
    if (pending.kind === 'link') {
      const owner = await getUserOrThrow(db, pending.user_id!);
      return { action: 'link' as const, provider, email: pending.email!, has_password: owner.password_hash !== null };
    }
    return { action: 'sign_up' as const, provider, username: pending.username!, global_name: pending.global_name, email: pending.email_verified ? pending.email : null };
  });

  route(routes.sso.completeSignUp, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const pending = await tickets.peek(body.ticket, ['sign_up']);
    const provider = providers.get(pending.provider);
    const email = pending.email_verified ? pending.email : null;
    const instance = await settings.get();
    if (instance.registration_mode !== 'closed' && instance.require_email && !email) {
      throw fieldError('ticket', 'EMAIL_REQUIRED', `This instance requires an e-mail address, and ${provider.name} did not confirm one. Ask an administrator.`);
    }
    assertRegistrationAllowed(instance, { invite: body.invite, email: email ?? undefined });
    await assertAvailable(db, { username: body.username });
    const userId = ctx.ids.next();
    const token = await db
      .transaction()
      .execute(async (trx) => {
        const ticket = await tickets.consume(trx, body.ticket, 'sign_up');
        await claimInviteIfRequired(trx, registrationInvites, instance, body.invite);
        // Someone else may have taken the address since the callback: then the account starts without it.
        const emailFree = email && !(await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst());
        await trx
          .insertInto('users')
          .values({
            id: userId,
            username: body.username,
            global_name: ticket.global_name,
            email: emailFree ? email : null,
            email_verified: emailFree ? 1 : 0,
            password_hash: null,
            created_at: ctx.clock.now(),
          })
          .execute();
        await addIdentity(trx, { id: ctx.ids.next(), user_id: userId, provider: ticket.provider, subject: ticket.subject!, email: ticket.email, created_at: ctx.clock.now() });
        await knownSources.remember(trx, userId, request, reply);
        return sessions.create(trx, userId, clientOf(request));
      })
      .catch((error: unknown) => {
        throw uniqueFieldError(error);
      });
    return { token, user_id: userId };
  });

  route(routes.sso.link, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const pending = await tickets.peek(body.ticket, ['link']);
    const provider = providers.get(pending.provider);
    const owner = await getUserOrThrow(db, pending.user_id!);
    // The same limits as a login to that account, from where this request comes (auth/rate-limit.ts).
    const attempt = await authLimiter.passwordAttempt(owner.id, owner.id, sourceOf(request));
    if (!owner.password_hash) {
      throw fieldError('password', 'NO_PASSWORD', `That account has no password. Sign in to it the way you usually do, then link ${provider.name} in Settings → Account.`);
    }
    if (!(await verifyPassword(owner.password_hash, body.password))) {
      await attempt.failed();
      throw fieldError('password', 'PASSWORD_DOES_NOT_MATCH', 'Password does not match.');
    }
    await attempt.succeeded();
    // A password alone must not get past two-factor: such an account links from its settings, signed in with its code.
    if (owner.mfa_enabled) {
      throw fieldError('password', 'MFA_REQUIRED', `That account uses two-factor authentication. Sign in to it with your code, then link ${provider.name} in Settings → Account.`);
    }
    await recordSignIn(ctx, owner.id, request);
    const token = await db.transaction().execute(async (trx) => {
      const ticket = await tickets.consume(trx, body.ticket, 'link');
      if (await findIdentity(trx, ticket.provider, ticket.subject!)) throw fieldError('ticket', 'INVALID_TICKET', `This ${provider.name} account is already linked. Start again.`);
      const sameProvider = await trx.selectFrom('user_identities').select('id').where('user_id', '=', owner.id).where('provider', '=', ticket.provider).executeTakeFirst();
      if (sameProvider) throw fieldError('ticket', 'INVALID_TICKET', `That account already has another ${provider.name} account linked.`);
      await addIdentity(trx, { id: ctx.ids.next(), user_id: owner.id, provider: ticket.provider, subject: ticket.subject!, email: ticket.email, created_at: ctx.clock.now() });
      await knownSources.remember(trx, owner.id, request, reply);
      return sessions.create(trx, owner.id, clientOf(request));
    });
    return { token, user_id: owner.id };
  });

  route(routes.sso.listIdentities, async ({ auth }) => (await identitiesOf(db, auth.user.id)).map((row) => toIdentity(row, providers)));

  route(routes.sso.startLink, async ({ auth, body }) => {
    const provider = providers.get(body.provider);
    if (auth.user.guest) throw new ApiError('MISSING_ACCESS', { message: 'Keep your guest account first (choose a username and password), then link a sign-in provider.' });
    if ((await identitiesOf(db, auth.user.id)).some((i) => i.provider === provider.id)) {
      throw fieldError('provider', 'PROVIDER_ALREADY_LINKED', `A ${provider.name} account is already linked: remove it first.`);
    }
    const ticket = await tickets.issue('start_link', { provider: provider.id, subject: null, email: null, email_verified: 0, username: null, global_name: null, user_id: auth.user.id });
    return { location: `${config.publicUrl ?? ''}${API_PREFIX}/auth/oidc/${provider.id}/start?link=${ticket}` };
  });

  route(routes.sso.removeIdentity, async ({ auth, params }) => {
    await removeIdentity(ctx.database, auth.user.id, params.identity_id);
  });
}
