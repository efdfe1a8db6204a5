import { LeanWebSocket } from './lean-websocket';
import { monoMicros } from './stats';
import { delay } from './system';

/**
 * Many gateway clients in one process, kept lean enough for 10,000 sockets on a small machine:
 * bare WebSocket connections (lean-websocket.ts), no JSON parsing of dispatches (frames are
 * recognised by their first bytes, which Parley writes in a fixed order: `{"op":0,"t":"NAME",…`),
 * one shared heartbeat timer.
 */

const DISPATCH = Buffer.from('{"op":0,"t":"');
const MESSAGE_CREATE = Buffer.from('{"op":0,"t":"MESSAGE_CREATE"');
const READY = Buffer.from('{"op":0,"t":"READY"');
const HELLO = Buffer.from('{"op":10,');
const HEARTBEAT_ACK = Buffer.from('{"op":11');
const HEARTBEAT = '{"op":1,"d":null}';

export interface PoolCounters {
  messageCreates: number;
  /** Dispatches other than MESSAGE_CREATE and READY (presence, member adds, …): received, ignored. */
  otherDispatches: number;
  heartbeatAcks: number;
  /** Sockets that closed while they were expected to stay open, by close code. */
  unexpectedCloses: Map<number, number>;
}

export interface OpenResult {
  ready: number;
  failed: number;
  seconds: number;
  /** First few failure reasons, for the report. */
  errors: string[];
}

/** Called for every MESSAGE_CREATE frame with the time it was read (monoMicros). */
type OnMessageCreate = (frame: Buffer, receivedAtMicros: number) => void;

interface Client {
  ws: LeanWebSocket;
  state: 'connecting' | 'identifying' | 'ready' | 'closing' | 'closed';
  heartbeatMs: number;
  nextBeatAt: number;
}

function startsWith(frame: Buffer, prefix: Buffer): boolean {
  return frame.length >= prefix.length && frame.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

export class GatewayClientPool {
  readonly counters: PoolCounters = { messageCreates: 0, otherDispatches: 0, heartbeatAcks: 0, unexpectedCloses: new Map() };
  private readonly clients: Client[] = [];
  private readonly heartbeats: NodeJS.Timeout;

  constructor(private readonly onMessageCreate: OnMessageCreate = () => undefined) {
    // One timer for every socket: each heartbeats on the interval its HELLO asked for.
    this.heartbeats = setInterval(() => this.beat(), 500);
    this.heartbeats.unref();
  }

  get readyCount(): number {
    let n = 0;
    for (const c of this.clients) if (c.state === 'ready') n++;
    return n;
  }

  /**
   * Opens one identified connection per target (a gateway URL and a token), `concurrency`
   * handshakes at a time; each must reach READY within `timeoutMs`. Returns how many did.
   */
  async open(targets: readonly { url: string; token: string }[], options: { concurrency?: number; timeoutMs?: number; intents?: number } = {}): Promise<OpenResult> {
    const { concurrency = 64, timeoutMs = 60_000 } = options;
    const started = performance.now();
    const result: OpenResult = { ready: 0, failed: 0, seconds: 0, errors: [] };
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const index = next++;
        try {
          await this.openOne(targets[index]!.url, targets[index]!.token, timeoutMs, options.intents);
          result.ready++;
        } catch (error) {
          result.failed++;
          if (result.errors.length < 5) result.errors.push((error as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    result.seconds = (performance.now() - started) / 1000;
    return result;
  }

  private openOne(url: string, token: string, timeoutMs: number, intents: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          client.state = 'closing';
          ws.terminate();
          reject(error);
        } else resolve();
      };
      // Its handlers run from socket events, never during construction: `client` exists by then.
      const ws = new LeanWebSocket(url, {
        close: (code, reason) => {
          if (client.state === 'ready' || client.state === 'identifying') {
            this.counters.unexpectedCloses.set(code, (this.counters.unexpectedCloses.get(code) ?? 0) + 1);
          }
          client.state = 'closed';
          settle(new Error(`closed with ${code} before READY${reason ? ` (${reason})` : ''}`));
        },
        message: (data) => onMessage(data),
      });
      const client: Client = { ws, state: 'connecting', heartbeatMs: 0, nextBeatAt: Number.POSITIVE_INFINITY };
      this.clients.push(client);
      const timer = setTimeout(() => settle(new Error(`no READY within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (data: Buffer) => {
        if (startsWith(data, MESSAGE_CREATE)) {
          this.counters.messageCreates++;
          this.onMessageCreate(data, monoMicros());
        } else if (startsWith(data, DISPATCH)) {
          if (startsWith(data, READY)) {
            client.state = 'ready';
            settle(null);
          } else this.counters.otherDispatches++;
        } else if (startsWith(data, HEARTBEAT_ACK)) {
          this.counters.heartbeatAcks++;
        } else if (startsWith(data, HELLO)) {
          const interval = Number(/"heartbeat_interval":(\d+)/.exec(data.toString('latin1'))?.[1]);
          client.heartbeatMs = interval;
          // Discord's rule: the first heartbeat after interval × jitter, which spreads them out.
          client.nextBeatAt = performance.now() + interval * Math.random();
          client.state = 'identifying';
          const identify = { op: 2, d: { token, properties: { os: 'linux', browser: 'parley-bench', device: 'parley-bench' }, ...(intents !== undefined && { intents }) } };
          ws.send(JSON.stringify(identify));
        }
      };
    });
  }

  private beat(): void {
    const now = performance.now();
    for (const client of this.clients) {
      if ((client.state === 'ready' || client.state === 'identifying') && now >= client.nextBeatAt) {
        client.nextBeatAt = now + client.heartbeatMs;
        client.ws.send(HEARTBEAT);
      }
    }
  }

  /** Closes every socket cleanly (1000 ends the session), waiting at most `timeoutMs`. */
  async closeAll(timeoutMs = 15_000): Promise<void> {
    clearInterval(this.heartbeats);
    for (const client of this.clients) {
      if (client.state === 'closed') continue;
      client.state = 'closing';
      client.ws.close(1000);
    }
    const deadline = Date.now() + timeoutMs;
    while (this.clients.some((c) => c.state !== 'closed') && Date.now() < deadline) await delay(50);
    for (const client of this.clients) if (client.state !== 'closed') client.ws.terminate();
    this.clients.length = 0;
  }
}

const MARKER = Buffer.from('"content":"bench ');

/**
 * The bench marker a sender writes at the start of each message's content:
 * `bench <send index> <send time in monotonic µs> …`. Read straight from the frame's bytes.
 */
export function readMarker(frame: Buffer): { index: number; sentAtMicros: number } | null {
  let at = frame.indexOf(MARKER, DISPATCH.length);
  if (at < 0) return null;
  at += MARKER.length;
  let index = 0;
  for (let c = frame[at]!; c >= 48 && c <= 57; c = frame[++at]!) index = index * 10 + (c - 48);
  at++;
  let sentAtMicros = 0;
  for (let c = frame[at]!; c >= 48 && c <= 57; c = frame[++at]!) sentAtMicros = sentAtMicros * 10 + (c - 48);
  return { index, sentAtMicros };
}

/** Message content carrying the marker, padded with words to `bytes` characters. */
export function markedContent(index: number, sentAtMicros: number, bytes: number): string {
  const head = `bench ${index} ${sentAtMicros} `;
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';
  let content = head;
  while (content.length < bytes) content += filler;
  return content.slice(0, Math.max(bytes, head.length));
}
