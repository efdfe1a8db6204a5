import type { AddressInfo } from 'node:net';
import { type ClientOptions, type ParleyClient, RestClient, connect } from '@parley/sdk';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { type Config, parseConfig } from '../config';
import type { Clock } from '../core/clock';
import type { Database } from '../db/database';
import { openParley } from '../parley';
import { createTestStorage } from './databases';

export interface TestServer {
  app: FastifyInstance;
  /** Base URL of the real listening server (127.0.0.1, random port). */
  url: string;
  config: Config;
  /** The server's own database (for what a test must check or arrange behind the API's back). */
  db: { database: Database; dataDir: string };
  /** An SDK client for this server, optionally already signed in. */
  client(token?: string | null): RestClient;
  /** A signed-in client with its gateway connected (READY received); closed with the server. */
  connect(token: string, options?: Pick<ClientOptions, 'intents' | 'compress' | 'inflater'>): Promise<ParleyClient>;
  /** Stops the server gracefully, as SIGTERM does, and starts it again on the same data and port. Connected clients stay open. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real Parley server on a fresh database, listening on 127.0.0.1:0, composed exactly as
 * `npm start` composes it (openParley: same plugins, same order, the built web client served).
 * Tests talk to it through the SDK (the front door) or app.inject() for requests no
 * well-behaved client would send.
 */
export async function startTestServer(
  options: { env?: Record<string, string>; clock?: Clock; /** Adds test-only routes before listening. */ setup?: (app: FastifyInstance) => void } = {},
): Promise<TestServer> {
  const storage = await createTestStorage();
  const config = parseConfig({
    ...storage.env,
    LOG_LEVEL: 'silent',
    // Generous by default so tests that sign up many users don't trip the limiter by accident.
    AUTH_RATE_LIMIT_IP: '10000/60',
    // No Janus unless a test asks for it (CALL_SFU: 'auto'): most call tests are about the rules.
    CALL_SFU: 'off',
    ...options.env,
  });
  const open = async (port: number) => {
    const opened = await openParley(config, options.clock ? { clock: options.clock } : {});
    options.setup?.(opened.app);
    await opened.app.listen({ port, host: '127.0.0.1' });
    return opened;
  };
  const { app, database } = await open(0);
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const connected: ParleyClient[] = [];
  const server: TestServer = {
    app,
    url,
    config,
    db: { database, dataDir: storage.dataDir },
    client: (token = null) => new RestClient({ baseUrl: url, token }),
    connect: async (token, connectOptions = {}) => {
      // Quick reconnects keep resume tests fast; the protocol is the same.
      const client = await connect({ baseUrl: url, token, WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 200 }, ...connectOptions });
      connected.push(client);
      return client;
    },
    restart: async () => {
      await server.app.close();
      const reopened = await open(port);
      server.app = reopened.app;
      server.db.database = reopened.database;
    },
    close: async () => {
      for (const client of connected) client.gateway.close();
      await server.app.close();
      await storage.wipe();
    },
  };
  return server;
}
