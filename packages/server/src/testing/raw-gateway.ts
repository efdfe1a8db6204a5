import { GatewayOpcode } from '@parley/protocol';
import WebSocket from 'ws';

export interface RawFrame {
  op: number;
  t?: string | null;
  s?: number | null;
  d?: unknown;
}

/**
 * A bare gateway socket for protocol-level tests: send anything, read frames in order, see how
 * and why the server closes. No heartbeating or reconnecting unless the test does it.
 */
export class RawGateway {
  readonly frames: RawFrame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as RawFrame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  static async open(baseUrl: string, query = '?v=10&encoding=json'): Promise<RawGateway> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/gateway${query}`);
    const gateway = new RawGateway(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return gateway;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  identify(token: string, extra: Record<string, unknown> = {}): void {
    this.send({ op: GatewayOpcode.IDENTIFY, d: { token, properties: { os: 'test' }, ...extra } });
  }

  /** The first frame (from now on or already received) matching the test; fails after 10 s. */
  async next(test: (frame: RawFrame) => boolean, from = 0): Promise<RawFrame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.frames.slice(from).find(test);
      if (found) return found;
      if (this.closed) throw new Error(`Socket closed (${this.closed.code} ${this.closed.reason}) before the expected frame`);
      if (Date.now() > deadline) throw new Error('Timed out waiting for a gateway frame');
      await this.waitForActivity(deadline - Date.now());
    }
  }

  dispatch(t: string): Promise<RawFrame> {
    return this.next((f) => f.op === GatewayOpcode.DISPATCH && f.t === t);
  }

  /** Resolves with the close code once the server closes the socket (fails after 10 s). */
  async closeCode(): Promise<number> {
    const deadline = Date.now() + 10_000;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('The server did not close the socket');
      await this.waitForActivity(deadline - Date.now());
    }
    return this.closed.code;
  }

  close(): void {
    this.socket.close(1000);
  }

  private waitForActivity(ms: number): Promise<void> {
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
