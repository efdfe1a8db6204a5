import { routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { routeRegistrar } from '../../http/routes';
import { iceServersFor } from './ice';

/** GET /calls/ice-servers: what a client passes to RTCPeerConnection before joining a call. */
export function iceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);
  route(routes.calls.iceServers, async ({ auth }) => iceServersFor(ctx.config.ice, auth.user.id, ctx.clock.now()));
}
