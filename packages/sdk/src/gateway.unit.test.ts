import { GatewayCloseCode, GatewayOpcode } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayClient, type WebSocketLike } from './gateway';

/** A socket the test plays the server of: what the client sent, and the server's frames and close. */
class FakeSocket implements WebSocketLike {
  static opened: FakeSocket[] = [];
  readyState = 1;
  readonly sent: { op: number; d: unknown }[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as { op: number; d: unknown });
  }

  /** The client closing: the server answers the close handshake with its own code. */
  close(): void {
    this.serverCloses(GatewayCloseCode.UNKNOWN_ERROR);
  }

  serverSends(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverCloses(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

const ENTRY = 'ws://balancer.test/gateway';
const NODE_A = 'ws://node-a.test/gateway';

/** A client connected through ENTRY, whose READY named node A as the resume URL, with events up to s=7. */
async function readyClient(): Promise<{ client: GatewayClient; socket: FakeSocket }> {
  const client = new GatewayClient({ url: () => ENTRY, token: 't', WebSocket: FakeSocket, backoff: { initialMs: 5_000, maxMs: 30_000 } });
  const ready = client.connect();
  const socket = FakeSocket.opened.at(-1)!;
  socket.serverSends({ op: GatewayOpcode.HELLO, d: { heartbeat_interval: 45_000 } });
  socket.serverSends({ op: 0, t: 'READY', s: 5, d: { session_id: 'sess', resume_gateway_url: NODE_A, user: {}, guilds: [] } });
  await ready;
  socket.serverSends({ op: 0, t: 'MESSAGE_CREATE', s: 7, d: { id: '1' } });
  return { client, socket };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.opened = [];
});
afterEach(() => vi.useRealTimers());

describe('GatewayClient told to reconnect (op 7) by a stopping node', () => {
  it('resumes within half a second, through the entry URL, from the last event it received', async () => {
    const { client, socket } = await readyClient();
    socket.serverSends({ op: GatewayOpcode.RECONNECT, d: null });
    expect(client.state).toBe('reconnecting');
    // No backoff (5 s here): the new socket opens within the spread.
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeSocket.opened).toHaveLength(2);
    const next = FakeSocket.opened[1]!;
    expect(next.url.startsWith(`${ENTRY}?`)).toBe(true);
    next.serverSends({ op: GatewayOpcode.HELLO, d: { heartbeat_interval: 45_000 } });
    expect(next.sent[0]).toEqual({ op: GatewayOpcode.RESUME, d: { token: 't', session_id: 'sess', seq: 7 } });
    client.close();
  });

  it('backs off as usual when a connection merely drops', async () => {
    const { client, socket } = await readyClient();
    socket.serverCloses(GatewayCloseCode.UNKNOWN_ERROR);
    // Backoff starts at 5 s, jittered to 2.5–5 s: nothing within the op-7 spread.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(FakeSocket.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(FakeSocket.opened).toHaveLength(2);
    expect(FakeSocket.opened[1]!.url.startsWith(`${NODE_A}?`)).toBe(true);
    client.close();
  });
});
