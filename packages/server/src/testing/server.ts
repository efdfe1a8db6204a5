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
    ...options.env,
  });
  const { app, database } = await openParley(config, options.clock ? { clock: options.clock } : {});
  const db = { database, dataDir: storage.dataDir };
  options.setup?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const connected: ParleyClient[] = [];
  return {
    app,
    url,
    config,
    db,
    client: (token = null) => new RestClient({ baseUrl: url, token }),
    connect: async (token, connectOptions = {}) => {
      // Quick reconnects keep resume tests fast; the protocol is the same.
      const client = await connect({ baseUrl: url, token, WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 200 }, ...connectOptions });
      connected.push(client);
      return client;
    },
    close: async () => {
      for (const client of connected) client.gateway.close();
      await app.close();
      await storage.wipe();
    },
  };
}
