import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database';
import { ApiError } from './errors';

/** Liveness (the process answers) and readiness (it can reach its database). */
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
