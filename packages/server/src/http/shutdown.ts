import type { FastifyInstance } from 'fastify';

/** How long requests already under way may take to finish once the server is stopping. */
const IN_FLIGHT_GRACE_MS = 10_000;

/**
 * The longest a stop (SIGTERM, SIGINT) takes before the process exits anyway: clients are sent
 * away at once and a socket that never answers its close is cut after 5 s (gateway/connection.ts),
 * requests under way get IN_FLIGHT_GRACE_MS, then the database and Redis close. An orchestrator's
 * grace period (Kubernetes terminationGracePeriodSeconds, default 30) must exceed it.
 */
export const STOP_DEADLINE_MS = 20_000;

/**
 * Lets a stop finish as soon as the requests under way are answered. Node's server.close()
 * closes idle keep-alive connections, but one that was busy when the stop began goes back to
 * idle afterwards and stays open for Fastify's 72-second keep-alive timeout, holding the process
 * (a SIGTERM took over a minute when a read acknowledgement was under way). Once stopping,
 * answers say `Connection: close`, and whatever is still open after the grace is cut.
 */
export function closeConnectionsOnStop(app: FastifyInstance): void {
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
    setTimeout(() => app.server.closeAllConnections(), IN_FLIGHT_GRACE_MS).unref();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (stopping) reply.header('connection', 'close');
  });
}
