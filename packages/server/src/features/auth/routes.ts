import { routes } from '@parley/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import { uniqueViolationColumn } from '../../db/errors';
import type { UserRow } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { sendVerification } from '../email/verification';
import { recordSignIn } from '../security-events/events';
import { startSecondFactor } from '../mfa/sign-in';
import { publishProfileChange } from '../users/profile-events';
import { assertAvailable, findUserByLogin, uniqueFieldError } from '../users/queries';
import { toPrivateUser } from '../users/serialize';
import { describeClient } from './client-info';
import { guestDisplayName, guestUsername } from './guest-names';
import { hashPassword, verifyPassword } from './passwords';
import { assertRegistrationAllowed, claimInviteIfRequired, minorFromBirthDate } from './registration';
import { sourceOf } from './sign-in-sources';

/** Sign-up, sign-in, guests, upgrades and the sessions they create. */
export function authRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, sessions, authLimiter, settings, registrationInvites } = ctx;
  const { knownSources } = authLimiter;
  const route = routeRegistrar(app, ctx);
  const clientOf = (request: FastifyRequest) => ({ description: describeClient(request.headers['user-agent']), ip: request.ip });

  /** SSO_ONLY: passwords are not a way in (sso/routes.ts is), except for instance admins (README). */
  const ssoOnly = ctx.config.sso.ssoOnly;

  route(routes.auth.register, async ({ body, request, reply }) => {
    if (ssoOnly) throw new ApiError('SSO_ONLY');
    await authLimiter.attemptFromIp(request.ip);
    const instance = await settings.get();
    assertRegistrationAllowed(instance, body);
    const minor = minorFromBirthDate(instance, body.birth_date, ctx.clock.now());
    await assertAvailable(db, body);
    const passwordHash = await hashPassword(body.password);
    const userId = ctx.ids.next();
    const token = await db
      .transaction()
      .execute(async (trx) => {
        await claimInviteIfRequired(trx, registrationInvites, instance, body.invite);
        await trx
          .insertInto('users')
          .values({
            id: userId,
            username: body.username,
            global_name: body.global_name ?? null,
            email: body.email ?? null,
            password_hash: passwordHash,
            minor: minor ? 1 : 0,
            created_at: ctx.clock.now(),
          })
          .execute();
        await knownSources.remember(trx, userId, request, reply);
        return sessions.create(trx, userId, clientOf(request));
      })
      .catch((error: unknown) => {
        throw uniqueFieldError(error);
      });
    if (body.email) await sendVerification(ctx, { id: userId, username: body.username }, body.email);
    return { token, user_id: userId };
  });

  route(routes.auth.login, async ({ body, request, reply }) => {
    await authLimiter.attemptFromIp(request.ip);
    const user = await findUserByLogin(db, body.login);
    // Decided before the password is checked, so the answer never tells a guesser it was right.
    // Admins keep their password: an outage or a mistake at the provider must not lock out the operator.
    if (ssoOnly && !user?.admin) throw new ApiError('SSO_ONLY');
    // Counted per account, whichever name it was reached by; per login text for unknown ones.
    // From a source the account knows, failures elsewhere don't count (rate-limit.ts).
    const attempt = await authLimiter.passwordAttempt(user?.id ?? body.login, user?.id ?? null, sourceOf(request));
    if (!(await verifyPassword(user?.password_hash ?? null, body.password)) || !user) {
      await attempt.failed();
      throw fieldError('login', 'INVALID_LOGIN', 'Login or password is invalid.');
    }
    await attempt.succeeded();
    // With 2FA, a correct password earns a ticket for the second step, not a session yet.
    if (user.mfa_enabled) return startSecondFactor(ctx, user, request);
    await recordSignIn(ctx, user.id, request);
    const token = await sessions.create(db, user.id, clientOf(request));
    await knownSources.remember(db, user.id, request, reply);
    return { token, user_id: user.id };
  });

  route(routes.auth.guest, async ({ body, request }) => {
    if (!(await settings.get()).guests_enabled) throw new ApiError('GUESTS_DISABLED');
    await authLimiter.attemptFromIp(request.ip);
    const row: UserRow = {
      id: ctx.ids.next(),
      username: guestUsername(),
      global_name: body?.global_name ?? guestDisplayName(),
      email: null,
      email_verified: 0,
      pending_email: null,
      deletion_scheduled_at: null,
      deleted_at: null,
      password_hash: null,
      avatar: null,
      bio: '',
      custom_status: null,
      guest: 1,
      bot: 0,
      admin: 0,
      password_change_required: 0,
      mfa_enabled: 0,
      minor: 0,
      disabled_at: null,
      created_at: ctx.clock.now(),
    };
    // A generated name can clash with an existing one; a few retries make failure practically impossible.
    for (let attempt = 0; ; attempt++) {
      try {
        const token = await db.transaction().execute(async (trx) => {
          await trx.insertInto('users').values(row).execute();
          return sessions.create(trx, row.id, clientOf(request));
        });
        return { token, user: toPrivateUser(row) };
      } catch (error) {
        if (uniqueViolationColumn(error) !== 'username' || attempt >= 4) throw error;
        row.username = guestUsername();
      }
    }
  });

  route(routes.auth.upgrade, async ({ body, auth, request, reply }) => {
    if (!auth.user.guest) throw new ApiError('NOT_A_GUEST');
    if (ssoOnly) throw new ApiError('SSO_ONLY');
    await authLimiter.attemptFromIp(request.ip);
    const instance = await settings.get();
    assertRegistrationAllowed(instance, body);
    await assertAvailable(db, body, auth.user.id);
    const passwordHash = await hashPassword(body.password);
    await db
      .transaction()
      .execute(async (trx) => {
        await claimInviteIfRequired(trx, registrationInvites, instance, body.invite);
        // `guest = 1` in the condition: of two upgrades racing, the second changes nothing and fails.
        const upgraded = await trx
          .updateTable('users')
          .set({ username: body.username, email: body.email ?? null, password_hash: passwordHash, guest: 0 })
          .where('id', '=', auth.user.id)
          .where('guest', '=', 1)
          .executeTakeFirst();
        if (upgraded.numUpdatedRows === 0n) throw new ApiError('NOT_A_GUEST');
        // Where the account gets its password is where its owner is.
        await knownSources.remember(trx, auth.user.id, request, reply);
      })
      .catch((error: unknown) => {
        throw uniqueFieldError(error);
      });
    if (body.email) await sendVerification(ctx, { id: auth.user.id, username: body.username }, body.email);
    return publishProfileChange(ctx, auth.user.id);
  });

  route(routes.auth.logout, async ({ auth }) => {
    await sessions.revoke(auth.user.id, auth.session.id);
  });

  route(routes.auth.listSessions, async ({ auth }) => sessions.list(auth.user.id, auth.session.id));

  route(routes.auth.revokeSession, async ({ auth, params }) => {
    await sessions.revoke(auth.user.id, params.session_id);
  });
}
