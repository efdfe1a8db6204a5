import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Frame, GatewaySocket, call, jsonInit, register } from './client';
import { type RunningParley, startParley } from './npm-start';

/**
 * A gateway session against the real `npm start`, as docs/gateway.md describes it: discover the
 * URL over REST, HELLO, IDENTIFY, READY, heartbeat and its ACK, dispatches caused by REST calls
 * (to the caller and to another member), and the documented close codes for bad frames.
 */
let parley: RunningParley;
let gatewayUrl: string;
const sockets: GatewaySocket[] = [];

beforeAll(async () => {
  parley = await startParley();
  const answer = await call(parley.baseUrl, '/api/v10/gateway');
  expect(answer.status, answer.text).toBe(200);
  gatewayUrl = (answer.json as { url: string }).url;
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});
afterAll(() => parley?.stop());

const op = { DISPATCH: 0, HEARTBEAT: 1, IDENTIFY: 2, HELLO: 10, HEARTBEAT_ACK: 11 } as const;

async function connect(query = '?v=10&encoding=json'): Promise<GatewaySocket> {
  const socket = await GatewaySocket.open(gatewayUrl + query);
  sockets.push(socket);
  return socket;
}

function rest(method: string, path: string, token: string, body?: unknown) {
  return call(parley.baseUrl, `/api/v10${path}`, jsonInit(method, body, { authorization: token }));
}

/** Connects, waits for HELLO, identifies and waits for READY. */
async function session(token: string): Promise<{ socket: GatewaySocket; ready: Frame }> {
  const socket = await connect();
  await socket.next((f) => f.op === op.HELLO, 0, 'HELLO');
  socket.send({ op: op.IDENTIFY, d: { token, properties: { os: 'linux', browser: 'smoke', device: 'smoke' } } });
  return { socket, ready: await socket.dispatch('READY') };
}

describe('the gateway', () => {
  it("GET /api/v10/gateway names this server's WebSocket URL", () => {
    expect(gatewayUrl).toBe(`${parley.baseUrl.replace(/^http/, 'ws')}/gateway`);
  });

  it('HELLO, IDENTIFY → READY, heartbeat → ACK', async () => {
    const { token, userId, username } = await register(parley.baseUrl, 'gw');
    const socket = await connect();
    const hello = await socket.next((f) => f.op === op.HELLO, 0, 'HELLO');
    expect(socket.frames[0]).toBe(hello);
    const interval = (hello.d as { heartbeat_interval: number }).heartbeat_interval;
    expect(interval).toBeGreaterThan(0);

    socket.send({ op: op.IDENTIFY, d: { token, properties: { os: 'linux', browser: 'smoke', device: 'smoke' } } });
    const ready = await socket.dispatch('READY');
    expect(ready.s).toBeTypeOf('number');
    const d = ready.d as { v: number; user: { id: string; username: string }; guilds: unknown[]; session_id: string; resume_gateway_url: string };
    expect(d.v).toBe(10);
    expect(d.user).toMatchObject({ id: userId, username });
    expect(d.guilds).toEqual([]);
    expect(d.session_id).toBeTypeOf('string');
    expect(d.resume_gateway_url).toMatch(/^ws:\/\//);

    const from = socket.frames.length;
    socket.send({ op: op.HEARTBEAT, d: ready.s });
    const ack = await socket.next((f) => f.op === op.HEARTBEAT_ACK, from, 'HEARTBEAT ACK');
    expect(ack.op).toBe(op.HEARTBEAT_ACK);
  });

  it('REST calls arrive as dispatches: GUILD_CREATE to the owner, MESSAGE_CREATE to every member', async () => {
    const owner = await register(parley.baseUrl, 'owner');
    const member = await register(parley.baseUrl, 'member');
    const ownerSession = await session(owner.token);
    const memberSession = await session(member.token);

    const created = await rest('POST', '/guilds', owner.token, { name: 'Smoke test server' });
    expect(created.status, created.text).toBe(200);
    const guildId = (created.json as { id: string }).id;
    const guildCreate = await ownerSession.socket.dispatch('GUILD_CREATE', 0, (d) => (d as { id: string }).id === guildId);
    const channels = (guildCreate.d as { channels: { id: string; type: number; name: string }[] }).channels;
    const text = channels.find((c) => c.type === 0);
    expect(text, JSON.stringify(channels)).toBeDefined();

    const invite = await rest('POST', `/channels/${text!.id}/invites`, owner.token, {});
    expect(invite.status, invite.text).toBe(200);
    const code = (invite.json as { code: string }).code;
    const joined = await rest('POST', `/invites/${code}`, member.token, {});
    expect(joined.status, joined.text).toBe(200);
    await memberSession.socket.dispatch('GUILD_CREATE', 0, (d) => (d as { id: string }).id === guildId);

    const sent = await rest('POST', `/channels/${text!.id}/messages`, owner.token, { content: 'hello from the smoke suite' });
    expect(sent.status, sent.text).toBe(200);
    const messageId = (sent.json as { id: string }).id;
    for (const { socket } of [ownerSession, memberSession]) {
      const dispatch = await socket.dispatch('MESSAGE_CREATE', 0, (d) => (d as { id: string }).id === messageId);
      expect(dispatch.d).toMatchObject({ id: messageId, channel_id: text!.id, content: 'hello from the smoke suite', author: { id: owner.userId } });
      expect(dispatch.s!).toBeGreaterThan(0);
    }
  });
});

describe('gateway close codes (docs/gateway.md)', () => {
  async function closedWith(frame: unknown, query?: string): Promise<number> {
    const socket = await connect(query);
    await socket.next((f) => f.op === op.HELLO, 0, 'HELLO');
    socket.send(frame);
    return socket.closeCode();
  }

  it('a frame that is not JSON: 4002', async () => {
    expect(await closedWith('this is not json')).toBe(4002);
  });

  it('a frame of a known opcode that does not match its schema: 4002', async () => {
    expect(await closedWith({ op: op.IDENTIFY, d: { token: 42 } })).toBe(4002);
    expect(await closedWith({ op: op.HEARTBEAT, d: 'seq' })).toBe(4002);
  });

  it('an unknown opcode, or JSON with no opcode at all: 4001', async () => {
    expect(await closedWith({ op: 99, d: null })).toBe(4001);
    expect(await closedWith([1, 2, 3])).toBe(4001);
  });

  it('an opcode that needs a session, before IDENTIFY: 4003', async () => {
    expect(await closedWith({ op: 3, d: { status: 'online', since: null, activities: [], afk: false } })).toBe(4003);
  });

  it('IDENTIFY with a bad token: 4004', async () => {
    expect(await closedWith({ op: op.IDENTIFY, d: { token: 'not a token', properties: { os: 'linux', browser: 'smoke', device: 'smoke' } } })).toBe(4004);
  });

  it('another gateway version: 4012', async () => {
    const socket = await connect('?v=9&encoding=json');
    expect(await socket.closeCode()).toBe(4012);
  });

  it('a frame over 32 KiB: 1009', async () => {
    expect(await closedWith(JSON.stringify({ op: op.HEARTBEAT, d: 'x'.repeat(33 * 1024) }))).toBe(1009);
  });
});
