import { routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { routeRegistrar } from '../../http/routes';
import { listSecurityEvents } from './events';

export function securityEventRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);
  route(routes.users.securityEvents, async ({ auth }) => listSecurityEvents(ctx, auth.user.id));
}
