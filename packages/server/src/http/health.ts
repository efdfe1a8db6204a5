import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database';
import { ApiError } from './errors';

/**
 * Liveness (the process answers) and readiness (it can reach its database). From the moment a
 * stop begins, Fastify answers every new request 503 (its return503OnClosing), /readyz included,
 * before the gateway sends its clients away: a load balancer stops routing here first.
 */
export function installHealthRoutes(app: FastifyInstance, database: Database): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    try {
      await database.ping();
    } catch {
      throw new ApiError('NOT_READY');
    }
    return { status: 'ready' };
  });
}
