import { type Snowflake, UpdateMeBody, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { hashPassword } from '../auth/passwords';
import { sendVerification, tellOldAddress } from '../email/verification';
import { confirmIdentity } from '../mfa/reauth';
import { recordSecurityEvent } from '../security-events/events';
import { type SignInSource, sourceOf } from '../auth/sign-in-sources';
import { decodeDataUri, imageKey, storeSquareImage } from '../../files/images';
import { publishProfileChange } from './profile-events';
import { assertAvailable, getUserOrThrow, uniqueFieldError } from './queries';
import { toPrivateUser, toUser } from './serialize';

type ProfileChanges = z.output<typeof UpdateMeBody>;

/** Profiles: reading users, editing your own, avatars and serving them. */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, files, sessions } = ctx;
  const route = routeRegistrar(app, ctx);

  route(routes.users.getMe, async ({ auth }) => toPrivateUser(auth.user));

  route(routes.users.getUser, async ({ params }) => toUser(await getUserOrThrow(db, params.user_id)));

  route(routes.users.updateMe, async ({ auth, body, request }) => {
    const user = auth.user;
    const instance = await ctx.settings.get();
    await checkSensitiveChanges(ctx, user, body, instance.require_email || instance.require_verified_email, sourceOf(request));
    await assertAvailable(db, { username: body.username, email: body.email }, user.id);

    // Decode and store the image before touching the row: a bad image changes nothing.
    let avatar = user.avatar;
    if (body.avatar !== undefined) avatar = body.avatar === null ? null : await storeSquareImage(files, 'avatars', user.id, decodeDataUri(body.avatar));

    const changes: Partial<UserRow> = {
      ...(body.username !== undefined && { username: body.username }),
      ...(body.global_name !== undefined && { global_name: body.global_name }),
      ...(body.bio !== undefined && { bio: body.bio }),
      ...(body.custom_status !== undefined && { custom_status: body.custom_status || null }),
      ...emailChanges(ctx, user, body.email),
      ...(avatar !== user.avatar && { avatar }),
    };
    if (body.new_password !== undefined) {
      changes.password_hash = await hashPassword(body.new_password);
      changes.password_change_required = 0;
    }
    let signedOut: Snowflake[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        if (Object.keys(changes).length) await trx.updateTable('users').set(changes).where('id', '=', user.id).execute();
        if (body.new_password !== undefined && auth.session) signedOut = await sessions.revokeOthers(trx, user.id, auth.session.id);
      });
    } catch (error) {
      if (avatar && avatar !== user.avatar) await files.delete(imageKey('avatars', user.id, avatar));
      throw uniqueFieldError(error);
    }
    await sessions.closeConnections(signedOut, 'Password changed');
    const newAddress = changes.pending_email ?? changes.email;
    if (newAddress) await sendVerification(ctx, user, newAddress);
    if (changes.pending_email) await tellOldAddress(ctx, user, changes.pending_email);
    if (body.new_password !== undefined) await recordSecurityEvent(ctx, user, 'password_changed', request);
    if (user.avatar && avatar !== user.avatar) await files.delete(imageKey('avatars', user.id, user.avatar));
    return publishProfileChange(ctx, user.id);
  });

  route(routes.users.uploadAvatar, async ({ auth, body }) => {
    const user = auth.user;
    const avatar = await storeSquareImage(files, 'avatars', user.id, body);
    await db.updateTable('users').set({ avatar }).where('id', '=', user.id).execute();
    if (user.avatar && user.avatar !== avatar) await files.delete(imageKey('avatars', user.id, user.avatar));
    return publishProfileChange(ctx, user.id);
  });
}

/**
 * A new e-mail address. With mail, one that would replace a current address waits in
 * `pending_email` until the link mailed to it is followed (the old one is told meanwhile), so a
 * typo or a hijacked session cannot move the account's mail elsewhere unnoticed. Asking for the
 * current address again cancels a pending change.
 */
function emailChanges(ctx: AppContext, user: UserRow, email: string | null | undefined): Partial<UserRow> {
  if (email === undefined) return {};
  if (email === user.email) return user.pending_email ? { pending_email: null } : {};
  if (email !== null && user.email !== null && ctx.mailer) return { pending_email: email };
  return { email, email_verified: 0, pending_email: null };
}

/**
 * The rules for changing who you are, before anything is stored:
 * - with a one-time password, the only change allowed is choosing a new password;
 * - guests take a username, e-mail and password only by upgrading (which applies sign-up policy);
 * - bots rename themselves freely (their token is the credential) but have no e-mail or password;
 * - username, e-mail and password changes need the current password, and with 2FA on a second
 *   factor too (mfa/reauth.ts: the one check of every sensitive action).
 */
async function checkSensitiveChanges(ctx: AppContext, user: UserRow, body: ProfileChanges, requireEmail: boolean, source: SignInSource): Promise<void> {
  const changing = Object.keys(body).filter((key) => body[key as keyof ProfileChanges] !== undefined);
  if (user.password_change_required && (body.new_password === undefined || changing.some((k) => k !== 'password' && k !== 'new_password' && k !== 'code'))) {
    throw new ApiError('PASSWORD_CHANGE_REQUIRED');
  }
  if (user.guest) {
    const field = (['username', 'email', 'new_password'] as const).find((f) => body[f] !== undefined);
    if (field) throw fieldError(field, 'BASE_TYPE_INVALID', 'Guests choose this when they upgrade to an account.');
    return;
  }
  if (user.bot) {
    // A bot's token is its credential: it may rename itself, but has no e-mail or password.
    const field = (['email', 'new_password'] as const).find((f) => body[f] !== undefined);
    if (field) throw fieldError(field, 'BASE_TYPE_INVALID', 'Bots have no e-mail address or password.');
    return;
  }
  if (body.email === null && requireEmail) {
    throw fieldError('email', 'EMAIL_REQUIRED', 'An e-mail address is required on this instance.');
  }
  const sensitive = (body.username !== undefined && body.username !== user.username) || (body.email !== undefined && body.email !== user.email) || body.new_password !== undefined;
  if (sensitive) await confirmIdentity(ctx, user, body, source, 'password');
}
