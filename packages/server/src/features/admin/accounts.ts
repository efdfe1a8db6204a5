import type { Snowflake } from '@parley/protocol';
import type { CreateAdminUserBody } from '@parley/protocol/admin';
import type { AdminUser, CreatedAdminUser } from '@parley/protocol/admin';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { AppContext } from '../../context';
import type { Tables, UserRow } from '../../db/tables';
import { ApiError } from '../../http/errors';
import { setAccountDisabled } from '../accounts/disable';
import { eraseAccount } from '../accounts/erase';
import { issueLink } from '../email/links';
import { accountCreatedMail, passwordResetMail } from '../email/messages';
import { mailContext } from '../email/verification';
import { recordInstanceAudit } from '../instance-audit/record';
import { assertAvailable, getUserOrThrow, uniqueFieldError } from '../users/queries';
import { hashOneTimePassword, oneTimePassword } from './one-time-passwords';
import { toAdminUser } from './serialize';

/** How long the link in a new account's mail works. */
const WELCOME_LINK_TTL_MS = 7 * 24 * 3600_000;

/** Who acts, and why (the X-Audit-Log-Reason header), for the instance audit log. */
export interface AdminActor {
  id: Snowflake;
  reason: string | null;
}

/** The account an admin acts on: a person's (not a bot's), not erased. */
async function targetAccount(ctx: AppContext, userId: Snowflake): Promise<UserRow> {
  const user = await getUserOrThrow(ctx.db, userId);
  if (user.deleted_at !== null) throw new ApiError('UNKNOWN_USER');
  if (user.bot) throw new ApiError('BAD_REQUEST', { message: 'This is a bot account: manage it through its application.' });
  return user;
}

/**
 * Takes away an admin's power (their admin flag, or their account by disabling or erasing it)
 * unless that leaves the instance without an enabled admin. The admins' rows are locked first
 * (PostgreSQL; SQLite has one writer), so two admins demoting each other at once cannot both win.
 * `apply` makes the change inside the same transaction; follow-up work (sessions) comes after.
 */
async function withoutAdmin(ctx: AppContext, userId: Snowflake, apply: (trx: Kysely<Tables>) => Promise<void>): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    let admins = trx.selectFrom('users').select('id').where('admin', '=', 1).where('disabled_at', 'is', null).where('deleted_at', 'is', null);
    if (ctx.database.dialect === 'postgres') admins = admins.forUpdate();
    const ids = (await admins.execute()).map((r) => r.id);
    if (ids.includes(userId) && !ids.some((id) => id !== userId)) throw new ApiError('LAST_ADMIN');
    await apply(trx);
  });
}

/** Creates one account; mails it a link to choose its password when mail is set up and it has an address, else returns a one-time password. */
export async function createAccount(ctx: AppContext, body: z.output<typeof CreateAdminUserBody>, actor: AdminActor): Promise<CreatedAdminUser> {
  await assertAvailable(ctx.db, body);
  const mail = body.email ? await mailContext(ctx) : null;
  const password = mail ? null : oneTimePassword();
  const id = ctx.ids.next();
  const row = {
    id,
    username: body.username,
    global_name: body.global_name ?? null,
    email: body.email ?? null,
    // Mailed: no password until the link is followed (the reset page sets it).
    password_hash: password ? await hashOneTimePassword(password) : null,
    password_change_required: 1 as const,
    minor: body.minor ? (1 as const) : (0 as const),
    admin: body.admin ? (1 as const) : (0 as const),
    created_at: ctx.clock.now(),
  };
  await ctx.db
    .transaction()
    .execute(async (trx) => {
      await trx.insertInto('users').values(row).execute();
      await recordInstanceAudit(ctx, trx, {
        actorId: actor.id,
        action: 'user_create',
        target: { type: 'user', id },
        reason: actor.reason,
        details: { username: body.username, minor: body.minor, admin: body.admin, emailed: Boolean(mail) },
      });
    })
    .catch((error: unknown) => {
      throw uniqueFieldError(error);
    });
  if (mail && body.email) await mailWelcome(ctx, mail, { id, username: body.username, email: body.email });
  return { user: toAdminUser(await getUserOrThrow(ctx.db, id)), password, emailed: Boolean(mail) };
}

/** Mails a new account its username and a link to choose its password. */
export async function mailWelcome(ctx: AppContext, mail: NonNullable<Awaited<ReturnType<typeof mailContext>>>, user: { id: Snowflake; username: string; email: string }): Promise<void> {
  const token = await issueLink(ctx.db, { userId: user.id, purpose: 'reset', email: user.email, now: ctx.clock.now(), ttlMs: WELCOME_LINK_TTL_MS });
  ctx.mailer!.send(accountCreatedMail(mail, user.email, user.username, token, WELCOME_LINK_TTL_MS / 86_400_000));
}

/** Disables or enables, marks as a minor or not, makes or removes an admin; each change audited. */
export async function updateAccount(
  ctx: AppContext,
  userId: Snowflake,
  changes: { disabled?: boolean | undefined; minor?: boolean | undefined; admin?: boolean | undefined },
  actor: AdminActor,
): Promise<AdminUser> {
  const user = await targetAccount(ctx, userId);
  if (userId === actor.id && (changes.disabled === true || changes.admin === false)) throw new ApiError('CANNOT_ACT_ON_SELF');
  const target = { type: 'user' as const, id: userId };
  const flags: { minor?: 0 | 1; admin?: 0 | 1 } = {};
  if (changes.minor !== undefined && changes.minor !== Boolean(user.minor)) flags.minor = changes.minor ? 1 : 0;
  if (changes.admin !== undefined && changes.admin !== Boolean(user.admin)) flags.admin = changes.admin ? 1 : 0;
  const disable = changes.disabled !== undefined && changes.disabled !== (user.disabled_at !== null) ? changes.disabled : undefined;
  if (Object.keys(flags).length || disable !== undefined) {
    await withoutAdmin(ctx, userId, async (trx) => {
      if (Object.keys(flags).length) {
        await trx.updateTable('users').set(flags).where('id', '=', userId).execute();
        const details = Object.fromEntries(Object.entries(flags).map(([key, value]) => [key, value === 1]));
        await recordInstanceAudit(ctx, trx, { actorId: actor.id, action: 'user_update', target, reason: actor.reason, details });
      }
      if (disable !== undefined) {
        // Marked here, under the lock, for the last-admin check; setAccountDisabled then ends the sessions.
        await trx
          .updateTable('users')
          .set({ disabled_at: disable ? ctx.clock.now() : null })
          .where('id', '=', userId)
          .execute();
        await recordInstanceAudit(ctx, trx, { actorId: actor.id, action: disable ? 'user_disable' : 'user_enable', target, reason: actor.reason });
      }
    });
  }
  if (disable !== undefined) await setAccountDisabled(ctx, userId, disable);
  return toAdminUser(await getUserOrThrow(ctx.db, userId));
}

/** Ends every session of the account; its gateway connections close at once, on every node. */
export async function signOutEverywhere(ctx: AppContext, userId: Snowflake, actor: AdminActor): Promise<void> {
  await targetAccount(ctx, userId);
  const signedOut = await ctx.db.transaction().execute(async (trx) => {
    const ids = await ctx.sessions.revokeAll(trx, userId);
    await recordInstanceAudit(ctx, trx, { actorId: actor.id, action: 'user_sign_out', target: { type: 'user', id: userId }, reason: actor.reason, details: { sessions: ids.length } });
    return ids;
  });
  await ctx.sessions.closeConnections(signedOut, 'Signed out by an administrator');
}

/**
 * one_time: a new one-time password (returned once) that must be replaced at the next sign-in;
 * every session ends. email: the reset link "forgot password" sends, mailed to the account's
 * address; nothing changes until it is followed.
 */
export async function resetPassword(ctx: AppContext, userId: Snowflake, mode: 'one_time' | 'email', actor: AdminActor): Promise<{ password: string | null }> {
  const user = await targetAccount(ctx, userId);
  if (user.guest) throw new ApiError('BAD_REQUEST', { message: 'A guest has no password: they choose one when they upgrade their account.' });
  const target = { type: 'user' as const, id: userId };
  if (mode === 'email') {
    const mail = await mailContext(ctx);
    if (!mail) throw new ApiError('MAIL_NOT_CONFIGURED', { message: 'This server sends no e-mail: give a one-time password instead.' });
    if (!user.email) throw new ApiError('NO_EMAIL', { message: 'This account has no e-mail address: give a one-time password instead.' });
    const { ttlMs } = ctx.config.passwordReset;
    const token = await issueLink(ctx.db, { userId, purpose: 'reset', email: user.email, now: ctx.clock.now(), ttlMs });
    ctx.mailer!.send(passwordResetMail(mail, user.email, user.username, token, Math.round(ttlMs / 60_000)));
    await recordInstanceAudit(ctx, ctx.db, { actorId: actor.id, action: 'user_password_reset', target, reason: actor.reason, details: { mode } });
    return { password: null };
  }
  const password = oneTimePassword();
  const passwordHash = await hashOneTimePassword(password);
  const signedOut = await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, password_change_required: 1 }).where('id', '=', userId).execute();
    await recordInstanceAudit(ctx, trx, { actorId: actor.id, action: 'user_password_reset', target, reason: actor.reason, details: { mode } });
    return ctx.sessions.revokeAll(trx, userId);
  });
  await ctx.sessions.closeConnections(signedOut, 'Password reset by an administrator');
  return { password };
}

/** Erases the account now (features/accounts/erase.ts); its messages stay under "Deleted user". */
export async function deleteAccount(ctx: AppContext, userId: Snowflake, actor: AdminActor): Promise<void> {
  const user = await targetAccount(ctx, userId);
  if (userId === actor.id) throw new ApiError('CANNOT_ACT_ON_SELF');
  const owned = await ctx.db.selectFrom('guilds').select('id').where('owner_id', '=', userId).executeTakeFirst();
  if (owned) throw new ApiError('OWNS_GUILDS', { message: 'This person owns servers: they (or you, as a member with the rights) must hand them over or delete them first.' });
  // An admin loses the flag under the last-admin check first; erasing clears it anyway.
  if (user.admin) await withoutAdmin(ctx, userId, async (trx) => void (await trx.updateTable('users').set({ admin: 0 }).where('id', '=', userId).execute()));
  await eraseAccount(ctx, userId, user.guest ? 'Former guest' : 'Deleted user');
  await recordInstanceAudit(ctx, ctx.db, { actorId: actor.id, action: 'user_delete', target: { type: 'user', id: userId }, reason: actor.reason, details: { username: user.username } });
}
