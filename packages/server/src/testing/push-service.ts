import { createECDH, randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';

/** A browser's side of a push subscription, made by the test: what it hands the server, and its private key. */
export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** The JSON payload of a push, decrypted as the browser would. */
  decrypt(body: Buffer): string;
}

export interface ReceivedPush {
  /** The endpoint's path (which subscription). */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A push service on 127.0.0.1, as a browser vendor runs one: it takes what the server POSTs to a
 * subscription's endpoint and keeps it. `gone` paths answer 410 Gone (an expired subscription).
 * Tests decrypt what arrived with the keys they made (http_ece, RFC 8291), as a browser would.
 */
export class FakePushService {
  readonly received: ReceivedPush[] = [];
  readonly gone = new Set<string>();
  private server!: Server;
  private base = '';
  private waiters: (() => void)[] = [];

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        if (request.method !== 'POST') {
          response.writeHead(405).end();
          return;
        }
        if (this.gone.has(path)) {
          response.writeHead(410).end();
        } else {
          this.received.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
          response.writeHead(201).end();
        }
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A new subscription whose endpoint is on this service. */
  subscription(name = randomBytes(8).toString('hex')): TestSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16).toString('base64url');
    return {
      endpoint: `${this.base}/push/${name}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
      decrypt: (body) => (ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth }) as Buffer).toString('utf8'),
    };
  }

  /** What reached this endpoint so far. */
  to(endpoint: string): ReceivedPush[] {
    const path = new URL(endpoint).pathname;
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `count` pushes reached the endpoint (or any path answered, for gone ones). */
  async waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('Timed out waiting for a push');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
