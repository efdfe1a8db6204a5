import type { PushSubscriptionInfo } from '@parley/protocol/push';
import { pushRoutes as pushApi } from '@parley/protocol/push';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { PushSubscriptionsTable } from '../../db/tables';
import { fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { endpointProblem } from './endpoint';
import type { PushService } from './service';

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves once what this node's pushes were deciding is done (tests wait for it instead of sleeping). */
    pushIdle: () => Promise<void>;
  }
}

const toInfo = (row: Pick<PushSubscriptionsTable, 'endpoint' | 'previews' | 'created_at'>): PushSubscriptionInfo => ({
  endpoint: row.endpoint,
  previews: row.previews === 1,
  created_at: new Date(row.created_at).toISOString(),
});

/**
 * Web Push subscriptions, one per sign-in session: the browser that agreed saves its own, reads
 * it back, or drops it. Signing out or revoking the session removes it with the session.
 */
export function pushRoutes(app: FastifyInstance, ctx: AppContext, push: PushService): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  app.decorate('pushIdle', () => push.notifier.idle());

  route(pushApi.getVapidKey, async () => ({ public_key: push.publicKey }));

  route(pushApi.getSubscription, async ({ auth }) => {
    const row = await db.selectFrom('push_subscriptions').select(['endpoint', 'previews', 'created_at']).where('session_id', '=', auth.session.id).executeTakeFirst();
    return { subscription: row ? toInfo(row) : null };
  });

  route(pushApi.putSubscription, async ({ auth, body }) => {
    const problem = endpointProblem(body.endpoint, ctx.config.push.allowLoopback);
    if (problem) throw fieldError('endpoint', 'PUSH_ENDPOINT_INVALID', problem);
    const row: PushSubscriptionsTable = {
      id: ctx.ids.next(),
      user_id: auth.user.id,
      session_id: auth.session.id,
      endpoint: body.endpoint,
      p256dh: body.keys.p256dh.replace(/=+$/, ''),
      auth: body.keys.auth.replace(/=+$/, ''),
      previews: body.previews ? 1 : 0,
      created_at: ctx.clock.now(),
    };
    await db.transaction().execute(async (trx) => {
      // This session's earlier subscription goes, and so does this browser's under another sign-in.
      await trx
        .deleteFrom('push_subscriptions')
        .where((eb) => eb.or([eb('session_id', '=', row.session_id), eb('endpoint', '=', row.endpoint)]))
        .execute();
      await trx.insertInto('push_subscriptions').values(row).execute();
    });
    return toInfo(row);
  });

  route(pushApi.deleteSubscription, async ({ auth }) => {
    await db.deleteFrom('push_subscriptions').where('session_id', '=', auth.session.id).execute();
  });
}
