import { routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { routeRegistrar } from '../../http/routes';
import { stageRoutes } from './stage-routes';

/** DM call ringing over REST (joining and leaving are gateway op 4; see calls.ts). */
export function callRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);

  route(routes.calls.ring, async ({ auth, params, body }) => {
    await ctx.calls.ring(auth.user.id, params.channel_id, body.recipients ?? null);
  });

  route(routes.calls.stopRinging, async ({ auth, params, body }) => {
    await ctx.calls.stopRinging(auth.user.id, params.channel_id, body.recipients ?? null);
  });

  stageRoutes(app, ctx);
}
