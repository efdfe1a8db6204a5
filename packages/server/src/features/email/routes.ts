import { routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { hashPassword } from '../auth/passwords';
import { publishProfileChange } from '../users/profile-events';
import { uniqueViolationColumn } from '../../db/errors';
import { findUserByLogin, getUserOrThrow } from '../users/queries';
import { recordSecurityEvent } from '../security-events/events';
import { consumeLink, dropLinks, issueLink } from './links';
import { passwordResetMail } from './messages';
import { mailContext, sendVerification } from './verification';

/** Mailed links: forgotten passwords and address confirmation (the mail itself: mailer.ts, messages.ts). */
export function emailRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, clock, sessions } = ctx;
  const route = routeRegistrar(app, ctx);
  const { rateLimit, ttlMs } = ctx.config.passwordReset;
  // Per address asked about and per client IP, so nobody floods a mailbox or probes many accounts.
  const resetsPerLogin = ctx.limiters({ keyPrefix: 'reset-login', points: rateLimit.points, duration: rateLimit.seconds });
  const resetsPerIp = ctx.limiters({ keyPrefix: 'reset-ip', points: rateLimit.points * 3, duration: rateLimit.seconds });
  const resendsPerUser = ctx.limiters({ keyPrefix: 'verify-resend', points: rateLimit.points, duration: rateLimit.seconds });

  route(routes.auth.forgotPassword, async ({ body, request }) => {
    const context = await mailContext(ctx);
    if (!context) throw new ApiError('MAIL_NOT_CONFIGURED');
    await consumeOrThrow(resetsPerIp, request.ip);
    await consumeOrThrow(resetsPerLogin, body.login);
    // The same answer whether or not the account exists; the mail goes out after it.
    const user = await findUserByLogin(db, body.login);
    if (!user?.email || user.bot || user.guest) return;
    const token = await issueLink(db, { userId: user.id, purpose: 'reset', email: user.email, now: clock.now(), ttlMs });
    ctx.mailer!.send(passwordResetMail(context, user.email, user.username, token, Math.round(ttlMs / 60_000)));
  });

  route(routes.auth.resetPassword, async ({ body, request }) => {
    // Hashed first: the link is spent only when the new password is ready to be stored.
    const passwordHash = await hashPassword(body.password);
    const link = await consumeLink(db, body.token, 'reset', clock.now());
    if (!link) throw new ApiError('INVALID_EMAIL_TOKEN');
    const signedOut = await db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select(['email']).where('id', '=', link.userId).executeTakeFirstOrThrow();
      await trx
        .updateTable('users')
        // Following the link proves the mailbox is theirs.
        .set({ password_hash: passwordHash, password_change_required: 0, ...(user.email === link.email && { email_verified: 1 as const }) })
        .where('id', '=', link.userId)
        .execute();
      await dropLinks(trx, link.userId, 'reset');
      return sessions.revokeAll(trx, link.userId);
    });
    await sessions.closeConnections(signedOut, 'Password reset');
    await recordSecurityEvent(ctx, await getUserOrThrow(db, link.userId), 'password_reset', request);
  });

  route(routes.auth.verifyEmail, async ({ body, request }) => {
    const link = await consumeLink(db, body.token, 'verify', clock.now());
    if (!link) throw new ApiError('INVALID_EMAIL_TOKEN');
    const user = await getUserOrThrow(db, link.userId);
    if (user.email === link.email) {
      await db.updateTable('users').set({ email_verified: 1 }).where('id', '=', user.id).execute();
    } else if (user.pending_email === link.email) {
      // The new address replaces the old only now.
      await db
        .updateTable('users')
        .set({ email: link.email, email_verified: 1, pending_email: null })
        .where('id', '=', user.id)
        .execute()
        .catch((error: unknown) => {
          throw uniqueViolationColumn(error) === 'email' ? fieldError('token', 'EMAIL_ALREADY_REGISTERED', 'This address now belongs to another account.') : error;
        });
      await recordSecurityEvent(ctx, { ...user, email: link.email }, 'email_changed', request);
    } else {
      // The account moved on to another address since this link was sent.
      throw new ApiError('INVALID_EMAIL_TOKEN');
    }
    return publishProfileChange(ctx, user.id);
  });

  route(routes.auth.resendVerification, async ({ auth }) => {
    if (!(await mailContext(ctx))) throw new ApiError('MAIL_NOT_CONFIGURED');
    const { user } = auth;
    const address = user.pending_email ?? (user.email_verified ? null : user.email);
    if (!address) throw new ApiError('NO_EMAIL');
    await consumeOrThrow(resendsPerUser, user.id);
    await sendVerification(ctx, user, address);
  });
}
