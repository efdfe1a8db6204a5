import { routes } from '@parley/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';
import { type UserRow } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { sourceOf } from '../auth/sign-in-sources';
import { recordSecurityEvent } from '../security-events/events';
import { getUserOrThrow } from '../users/queries';
import { toPrivateUser } from '../users/serialize';
import { PASSKEYS_PER_USER_MAX, ownPasskey, passkeysOf, toPasskey } from './passkeys';
import { confirmIdentity } from './reauth';
import { replaceRecoveryCodes } from './recovery-codes';
import { totpStep } from './totp';
import { type RelyingParty, registrationOptions, relyingParty, verifyRegistration } from './webauthn';

/** Your own two-factor settings: the authenticator app, recovery codes and passkeys. */
export function mfaRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, sessions } = ctx;
  const route = routeRegistrar(app, ctx);
  const now = () => ctx.clock.now();

  /** Your other tabs and devices learn that mfa_enabled changed (and follow the new token's rules). */
  const announce = async (userId: UserRow['id']) => {
    const user = toPrivateUser(await getUserOrThrow(db, userId));
    await ctx.events.publish(event('USER_UPDATE', user, { users: [userId] }));
  };

  route(routes.mfa.enableTotp, async ({ auth, body, request }) => {
    const { user, session } = auth;
    if (user.mfa_enabled) throw fieldError('code', 'MFA_ALREADY_ENABLED', 'Two-factor authentication is already on.');
    await confirmIdentity(ctx, user, { password: body.password }, sourceOf(request), 'password');
    // The app has the secret when it shows the code for it now; that step then counts as used.
    const step = totpStep(body.secret, body.code, now());
    if (step === null) throw fieldError('code', 'MFA_CODE_INVALID', 'That code does not match. Check the time on your phone and try the current code.');
    const result = await db.transaction().execute(async (trx) => {
      // `mfa_enabled = 0` in the condition: of two enables racing, the second changes nothing and fails.
      const turnedOn = await trx.updateTable('users').set({ mfa_enabled: 1 }).where('id', '=', user.id).where('mfa_enabled', '=', 0).executeTakeFirst();
      if (turnedOn.numUpdatedRows === 0n) throw fieldError('code', 'MFA_ALREADY_ENABLED', 'Two-factor authentication is already on.');
      await trx.deleteFrom('totp_secrets').where('user_id', '=', user.id).execute();
      await trx.insertInto('totp_secrets').values({ user_id: user.id, secret: body.secret, last_step: step, created_at: now() }).execute();
      const backup_codes = await replaceRecoveryCodes(trx, user.id);
      const token = await sessions.rotate(trx, session!.id);
      return { token, backup_codes };
    });
    await announce(user.id);
    await recordSecurityEvent(ctx, user, 'mfa_enabled', request);
    return result;
  });

  route(routes.mfa.disableTotp, async ({ auth, body, request }) => {
    const { user, session } = auth;
    await confirmIdentity(ctx, user, body, sourceOf(request), 'code');
    const token = await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('totp_secrets').where('user_id', '=', user.id).execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
      await trx.deleteFrom('mfa_tickets').where('user_id', '=', user.id).execute();
      await trx.updateTable('users').set({ mfa_enabled: 0 }).where('id', '=', user.id).execute();
      return sessions.rotate(trx, session!.id);
    });
    await announce(user.id);
    await recordSecurityEvent(ctx, user, 'mfa_disabled', request);
    return { token };
  });

  route(routes.mfa.regenerateCodes, async ({ auth, body, request }) => {
    if (!auth.user.mfa_enabled) throw fieldError('regenerate', 'MFA_NOT_ENABLED', 'Turn on two-factor authentication first.');
    await confirmIdentity(ctx, auth.user, body, sourceOf(request), 'password-or-code');
    const backup_codes = await db.transaction().execute((trx) => replaceRecoveryCodes(trx, auth.user.id));
    await recordSecurityEvent(ctx, auth.user, 'backup_codes_regenerated', request);
    return { backup_codes };
  });

  const rpFor = async (request: FastifyRequest): Promise<RelyingParty> => relyingParty(ctx.config.publicUrl, request, (await ctx.settings.get()).name);

  route(routes.mfa.passkeyRegistrationOptions, async ({ auth, body, request }) => {
    await confirmIdentity(ctx, auth.user, body, sourceOf(request), 'password-or-code');
    const existing = await passkeysOf(db, auth.user.id);
    if (existing.length >= PASSKEYS_PER_USER_MAX) throw new ApiError('MAX_PASSKEYS');
    return registrationOptions(db, await rpFor(request), auth.user, existing, now());
  });

  route(routes.mfa.addPasskey, async ({ auth, body, request }) => {
    const created = await verifyRegistration(db, await rpFor(request), auth.user.id, body.credential, now());
    const row = {
      id: ctx.ids.next(),
      user_id: auth.user.id,
      credential_id: created.credentialId,
      public_key: created.publicKey,
      counter: created.counter,
      transports: JSON.stringify(created.transports),
      name: body.name,
      created_at: now(),
      last_used_at: null,
    };
    // The same authenticator registered twice (excludeCredentials asks browsers not to) is refused by the unique credential ID.
    const taken = await db.selectFrom('passkeys').select('id').where('credential_id', '=', row.credential_id).executeTakeFirst();
    if (taken) throw fieldError('credential', 'PASSKEY_INVALID', 'This passkey is already registered.');
    await db.insertInto('passkeys').values(row).execute();
    await recordSecurityEvent(ctx, auth.user, 'passkey_added', request);
    return toPasskey(row);
  });

  route(routes.mfa.listPasskeys, async ({ auth }) => (await passkeysOf(db, auth.user.id)).map(toPasskey));

  route(routes.mfa.renamePasskey, async ({ auth, params, body }) => {
    const passkey = await ownPasskey(db, auth.user.id, params.passkey_id);
    await db.updateTable('passkeys').set({ name: body.name }).where('id', '=', passkey.id).execute();
    return toPasskey({ ...passkey, name: body.name });
  });

  route(routes.mfa.removePasskey, async ({ auth, params, body, request }) => {
    const passkey = await ownPasskey(db, auth.user.id, params.passkey_id);
    await confirmIdentity(ctx, auth.user, body, sourceOf(request), 'password-or-code');
    await db.deleteFrom('passkeys').where('id', '=', passkey.id).execute();
    await recordSecurityEvent(ctx, auth.user, 'passkey_removed', request);
  });
}
