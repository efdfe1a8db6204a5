import net from 'node:net';
import { expect } from 'vitest';
import WebSocket from 'ws';

/**
 * What the smoke tests use to talk to the running server: plain fetch and a bare `ws` socket,
 * with the documented shapes written out here (docs/errors.md, docs/gateway.md) rather than
 * imported from the server's code, so the suite checks the contract from outside.
 */

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export async function call(baseUrl: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(baseUrl + path, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * Writes `parts` to a plain TCP connection and reads one HTTP/1.1 response (its Content-Length
 * body), for requests fetch can't shape: a request that stops part-way through its body. Fails
 * after 10 s.
 */
export function rawExchange(baseUrl: string, parts: string[]): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no complete answer within 10 s; got: ${received.toString('latin1').slice(0, 300)}`)), 10_000);
    const finish = (error: Error | null, answer?: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    const tryParse = (): boolean => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? NaN);
      const body = received.subarray(end + 4);
      if (!(body.length >= length)) return false;
      const text = body.subarray(0, length).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      finish(null, { status: Number(statusLine!.split(' ')[1]), headers, text, json });
      return true;
    };
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      tryParse();
    });
    socket.on('end', () => {
      if (!tryParse()) finish(new Error(`the server closed the connection without a complete answer: ${received.toString('latin1').slice(0, 300)}`));
    });
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
  });
}

/** A JSON request: `body` is sent as given when it is a string, else JSON-encoded. */
export function jsonInit(method: string, body?: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  };
}

interface ErrorBody {
  code: number;
  message: string;
  errors?: Record<string, unknown>;
  retry_after?: number;
  global?: boolean;
}

/**
 * The answer is the documented error: this status, this code, a JSON `{code, message, errors?}`
 * body, nothing of the framework leaking through (an `FST_…` code is exactly what shipped when
 * the error handler was installed too late), and for 50035 the named fields under `errors`.
 */
export function expectApiError(answer: Answer, status: number, code: number, fields: string[] = []): ErrorBody {
  const what = `answer ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.text, what).not.toContain('FST_');
  expect(answer.status, what).toBe(status);
  expect(answer.headers.get('content-type'), what).toMatch(/^application\/json/);
  const body = answer.json as ErrorBody;
  expect(body, what).toBeTypeOf('object');
  expect(body.code, what).toBe(code);
  expect(body.message, what).toBeTypeOf('string');
  expect(body.message.length, what).toBeGreaterThan(0);
  if (code === 50035) {
    expect(body.message, what).toMatch(/^Invalid Form Body/);
    expect(body.errors, what).toBeTypeOf('object');
    for (const field of fields) {
      const problems = (body.errors![field] as { _errors?: { code: string; message: string }[] } | undefined)?._errors;
      expect(problems?.length, `${what}: errors.${field}._errors`).toBeGreaterThan(0);
      for (const problem of problems!) {
        expect(problem.code).toMatch(/^[A-Z_]+$/);
        expect(problem.message.length).toBeGreaterThan(0);
      }
    }
  } else {
    expect(body.errors, what).toBeUndefined();
  }
  return body;
}

let nameCounter = 0;
/** A fresh valid username (2–32 of a-z, 0-9, _ and .). */
export function uniqueUsername(prefix: string): string {
  return `${prefix}_${process.pid}_${++nameCounter}_${Math.floor(Math.random() * 1e6)}`.slice(0, 32);
}

/** Registers a new account over REST; returns its token and ID. */
export async function register(baseUrl: string, prefix = 'smoke'): Promise<{ token: string; userId: string; username: string }> {
  const username = uniqueUsername(prefix);
  const answer = await call(baseUrl, '/api/v10/auth/register', jsonInit('POST', { username, password: 'smoke test password' }));
  expect(answer.status, answer.text).toBe(200);
  const body = answer.json as { token: string; user_id: string };
  expect(body.token).toBeTypeOf('string');
  expect(body.user_id).toMatch(/^\d+$/);
  return { token: body.token, userId: body.user_id, username };
}

export interface Frame {
  op: number;
  t?: string | null;
  s?: number | null;
  d?: unknown;
}

/**
 * A bare gateway socket: records every frame and the close, and lets a test wait for the frame
 * (or close) it expects. Every wait is bounded and ends as soon as the event arrives.
 */
export class GatewaySocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? { op: -1, d: 'binary frame' } : (JSON.parse(String(data)) as Frame));
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  /** `options`: what `ws` takes, such as `ca` to trust a self-signed certificate over wss://. */
  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<GatewaySocket> {
    const socket = new WebSocket(url, options);
    const gateway = new GatewaySocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return gateway;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame at or after index `from` that passes the test; fails after 10 s or on close. */
  async next(test: (frame: Frame) => boolean, from = 0, what = 'a gateway frame'): Promise<Frame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.frames.slice(from).find(test);
      if (found) return found;
      if (this.closed) throw new Error(`The gateway closed the socket (${this.closed.code} ${this.closed.reason}) before ${what} arrived`);
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; frames so far: ${JSON.stringify(this.frames.map((f) => f.t ?? f.op))}`);
      await this.activity(deadline - Date.now());
    }
  }

  dispatch(t: string, from = 0, test: (d: unknown) => boolean = () => true): Promise<Frame> {
    return this.next((f) => f.op === 0 && f.t === t && test(f.d), from, `dispatch ${t}`);
  }

  /** The code the server closes the socket with; fails after 10 s. */
  async closeCode(): Promise<number> {
    const deadline = Date.now() + 10_000;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('The gateway did not close the socket');
      await this.activity(deadline - Date.now());
    }
    return this.closed.code;
  }

  close(): void {
    if (!this.closed) this.socket.close(1000);
  }

  private activity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(ms, 1));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
