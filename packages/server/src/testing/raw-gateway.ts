import { constants, inflateSync } from 'node:zlib';
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
 *
 * With `compress=zlib-stream` in the query it decodes as a client of Discord's would, but
 * independently of the SDK's streaming inflater: it inflates everything received so far in one
 * go (`inflateSync` up to the last sync flush) and takes the new bytes. Each WebSocket message
 * must be binary and end with 00 00 ff ff, and hold exactly one JSON payload (or parsing fails).
 */
export class RawGateway {
  readonly frames: RawFrame[] = [];
  closed: { code: number; reason: string } | null = null;
  /** Compressed: every binary message as received. */
  readonly compressed: Buffer[] = [];
  /** A frame this client could not take (text on a compressed connection, no sync flush at its end). */
  readonly problems: string[] = [];
  private inflatedBytes = 0;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly socket: WebSocket,
    zlib: boolean,
  ) {
    socket.on('message', (raw, isBinary) => {
      let data = raw as Buffer;
      if (zlib) {
        if (!isBinary) this.problems.push(`text frame: ${String(data).slice(0, 80)}`);
        else if (!data.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))) this.problems.push('a binary frame not ending with a sync flush');
        this.compressed.push(data);
        const all = inflateSync(Buffer.concat(this.compressed), { finishFlush: constants.Z_SYNC_FLUSH });
        data = all.subarray(this.inflatedBytes);
        this.inflatedBytes = all.length;
      }
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
    const gateway = new RawGateway(socket, new URLSearchParams(query).get('compress') === 'zlib-stream');
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
