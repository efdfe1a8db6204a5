import { Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { sourceOf } from '../auth/sign-in-sources';
import { confirmIdentity } from '../mfa/reauth';
import { recordSecurityEvent } from '../security-events/events';
import { publishProfileChange } from '../users/profile-events';
import { eraseAccount } from './erase';
import { dataArchive, exportLink, verifyExportLink } from './export';

/** Deleting your account (with a grace period) and taking your data with you. */
export function accountRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db, clock, sessions } = ctx;
  const route = routeRegistrar(app, ctx);
  const exportsPerUser = ctx.limiters({ keyPrefix: 'data-export', points: 3, duration: 3600 });

  route(routes.users.deleteMe, async ({ auth, body, request }) => {
    const { user } = auth;
    const owned = await db.selectFrom('guilds').select('id').where('owner_id', '=', user.id).executeTakeFirst();
    if (owned) throw new ApiError('OWNS_GUILDS');
    // An account with a password proves it is its owner asking (and with 2FA, a code too). A guest
    // has none; an account that signs in only through single sign-on has none either, and is
    // protected by the grace period instead: its owner signs in through the provider to cancel.
    if (user.password_hash) await confirmIdentity(ctx, user, body, sourceOf(request), 'password');
    const { deletionGraceMs } = ctx.config.accounts;
    // Without a grace period (or for a guest, who could not sign back in to cancel) it goes now.
    if (deletionGraceMs === 0 || user.guest) {
      await eraseAccount(ctx, user.id, user.guest ? 'Former guest' : 'Deleted user');
      return;
    }
    const signedOut = await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ deletion_scheduled_at: clock.now() + deletionGraceMs })
        .where('id', '=', user.id)
        .execute();
      const revoked = await trx.deleteFrom('sessions').where('user_id', '=', user.id).returning('id').execute();
      return revoked.map((r) => r.id);
    });
    await sessions.closeConnections(signedOut, 'Account scheduled for deletion');
    await recordSecurityEvent(ctx, user, 'deletion_scheduled', request);
  });

  route(routes.users.cancelDeletion, async ({ auth, request }) => {
    const cancelled = await db.updateTable('users').set({ deletion_scheduled_at: null }).where('id', '=', auth.user.id).where('deletion_scheduled_at', 'is not', null).executeTakeFirst();
    if (cancelled.numUpdatedRows > 0n) await recordSecurityEvent(ctx, auth.user, 'deletion_cancelled', request);
    return publishProfileChange(ctx, auth.user.id);
  });

  route(routes.users.exportData, async ({ auth }) => {
    await consumeOrThrow(exportsPerUser, auth.user.id);
    const link = await exportLink(ctx, auth.user.id);
    return { url: `${ctx.config.publicUrl ?? ''}${link.path}`, expires_at: new Date(link.expiresAt).toISOString() };
  });

  const Params = z.object({ user_id: Snowflake });
  const Query = z.object({ ex: z.coerce.number().int().positive(), hm: z.string().regex(/^[0-9a-f]{64}$/) });
  app.get('/exports/:user_id', { schema: { params: Params, querystring: Query, hide: true } }, async (request, reply) => {
    const { user_id } = request.params as z.output<typeof Params>;
    const { ex, hm } = request.query as z.output<typeof Query>;
    if (!(await verifyExportLink(ctx, user_id, ex, hm))) {
      throw new ApiError('MISSING_ACCESS', { message: 'This download link is invalid or has expired; ask for a new one in your settings.' });
    }
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="parley-data-${day}.zip"`)
      .header('cache-control', 'no-store')
      .send(await dataArchive(ctx, user_id));
  });
}
