import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiErrors, API_PREFIX, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics';

export interface MetricsEndpointOptions {
  /** METRICS_PORT: a listener of its own serving only GET /metrics; null for none. */
  port: number | null;
  host: string;
  /** METRICS_TOKEN: GET /metrics on the main port with `Authorization: Bearer <token>`; null: 404 there. */
  token: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The port of the METRICS_PORT listener (the one bound when METRICS_PORT=0), or null without one. */
    metricsPort: number | null;
  }
}

const SEND_URL = API_PREFIX + routes.messages.create.path;

/**
 * /metrics on the main port (only with a token), the METRICS_PORT listener, and the one metric
 * measured around a whole request: a message send's latency. Where /metrics is not offered it
 * answers like any unknown route, so nobody can tell it exists.
 */
export async function installMetricsEndpoints(app: FastifyInstance, metrics: Metrics, options: MetricsEndpointOptions): Promise<void> {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (options.token === null) return reply.status(404).send(errorBody('UNKNOWN_ROUTE'));
    if (!bearerMatches(request.headers.authorization, options.token)) {
      return reply.status(401).header('www-authenticate', 'Bearer').send(errorBody('UNAUTHORIZED'));
    }
    const { contentType, text } = await metrics.scrape();
    return reply.type(contentType).header('cache-control', 'no-store').send(text);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && request.routeOptions.url === SEND_URL && reply.statusCode < 300) metrics.messageSent(reply.elapsedTime);
  });
  app.decorate('metricsPort', null);
  if (options.port === null) return;
  const server = await listenForScrapes(metrics, options.port, options.host);
  app.metricsPort = (server.address() as AddressInfo).port;
  app.addHook('onClose', () => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** A plain HTTP server that answers GET /metrics and 404 to everything else. */
async function listenForScrapes(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if ((request.method !== 'GET' && request.method !== 'HEAD') || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: this port serves GET /metrics only\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(500).end(),
    );
  });
  // Idle keep-alive sockets must not hold the app's close up.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error) => reject(new Error(`METRICS_PORT ${port} on ${host}: ${error.message}`)));
    server.listen(port, host, resolve);
  });
  return server;
}

/** Compares hashes, so the comparison takes the same time whatever the token's length or contents. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

function errorBody(name: 'UNKNOWN_ROUTE' | 'UNAUTHORIZED') {
  return { code: ApiErrors[name].code, message: ApiErrors[name].message };
}
