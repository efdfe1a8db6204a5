import { randomBytes } from 'node:crypto';
import { GatewayCloseCode, GatewayOpcode, type Message, routes } from '@parley/protocol';
import { nodeZlibInflater } from '@parley/sdk/node-zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendThroughDrops } from '../testing/drops';
import { makeGuild } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { startTestServer, type TestServer } from '../testing/server';

/** Discord's transport compression (compression.ts), checked against the real server. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '10000/1' } });
});
afterAll(() => server.close());

const ZLIB = '?v=10&encoding=json&compress=zlib-stream';

const send = (who: Awaited<ReturnType<typeof makeGuild>>['owner'], channelId: string, content: string) =>
  who.client.request(routes.messages.create, { params: { channel_id: channelId as never }, body: { content } });

const creates = (gw: RawGateway) => gw.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => ({ s: f.s, content: (f.d as Message).content }));

describe('compress=zlib-stream', () => {
  it('compresses everything from HELLO on, and a fan-out arrives as the uncompressed connections get it', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const plain = await RawGateway.open(server.url);
    const zipped = await RawGateway.open(server.url, ZLIB);
    expect((await zipped.next((f) => f.op === GatewayOpcode.HELLO)).d).toEqual({ heartbeat_interval: 41_250 });
    plain.identify(members[0]!.client.token!);
    zipped.identify(members[0]!.client.token!);
    const ready = await zipped.dispatch('READY');
    expect(ready.d).toMatchObject({ user: { id: members[0]!.userId }, guilds: [expect.objectContaining({ id: general.guild_id })] });
    await plain.dispatch('READY');
    // Heartbeats are answered in the same stream.
    zipped.send({ op: GatewayOpcode.HEARTBEAT, d: null });
    await zipped.next((f) => f.op === GatewayOpcode.HEARTBEAT_ACK);

    // Sent side by side: the fan-out's shared frame, compressed per connection, keeps its order.
    const burst = 40;
    await Promise.all(Array.from({ length: burst }, (_, i) => send(owner, general.id, `burst ${i} ${'é'.repeat(i)}`)));
    await zipped.next(() => creates(zipped).length === burst);
    await plain.next(() => creates(plain).length === burst);
    expect(creates(zipped)).toEqual(creates(plain));
    const seqs = creates(zipped).map((c) => c.s!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(zipped.problems).toEqual([]);
    // One WebSocket message per payload, and fewer bytes than the text (the dictionary carries over).
    expect(zipped.compressed.length).toBe(zipped.frames.length);
    const compressedBytes = zipped.compressed.reduce((sum, b) => sum + b.length, 0);
    const textBytes = zipped.frames.reduce((sum, f) => sum + Buffer.byteLength(JSON.stringify(f)), 0);
    expect(compressedBytes).toBeLessThan(textBytes / 3);
    plain.close();
    zipped.close();
  });

  it('resumes a dropped compressed session on a new connection, with a new zlib stream', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const first = await RawGateway.open(server.url, ZLIB);
    first.identify(members[0]!.client.token!);
    const ready = await first.dispatch('READY');
    await send(owner, general.id, 'before the drop');
    const seen = await first.dispatch('MESSAGE_CREATE');
    first.socket.terminate();
    for (let i = 0; i < 5; i++) await send(owner, general.id, `missed ${i}`);

    const second = await RawGateway.open(server.url, ZLIB);
    second.send({ op: GatewayOpcode.RESUME, d: { token: members[0]!.client.token, session_id: (ready.d as { session_id: string }).session_id, seq: seen.s } });
    await second.dispatch('RESUMED');
    expect(creates(second).map((c) => c.content)).toEqual(['missed 0', 'missed 1', 'missed 2', 'missed 3', 'missed 4']);
    await send(owner, general.id, 'live again');
    await second.next((f) => f.t === 'MESSAGE_CREATE' && (f.d as Message).content === 'live again');
    expect(second.problems).toEqual([]);
    second.close();
  });

  it('replays a backlog larger than the slow-consumer limit at the client pace, compressed', async () => {
    const small = await startTestServer({ env: { GATEWAY_MAX_BUFFERED_BYTES: String(64 * 1024), MESSAGE_RATE_LIMIT: '10000/1' } });
    try {
      const { owner, general, members } = await makeGuild(small, { members: 1 });
      const first = await RawGateway.open(small.url, ZLIB);
      first.identify(members[0]!.client.token!);
      const ready = await first.dispatch('READY');
      first.socket.terminate();
      // ~300 KB of text (random: it compresses little) to replay, over four times the limit: only pacing gets it through.
      const noise = (i: number) => `${i} ${randomBytes(900).toString('base64')}`;
      for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => send(owner, general.id, noise(i + j))));
      const second = await RawGateway.open(small.url, ZLIB);
      second.send({ op: GatewayOpcode.RESUME, d: { token: members[0]!.client.token, session_id: (ready.d as { session_id: string }).session_id, seq: ready.s } });
      await second.dispatch('RESUMED');
      // Sent 20 at a time, so in the log's order rather than the loop's: each once, in sequence order.
      const replayed = creates(second);
      expect(replayed.map((c) => Number(c.content.split(' ')[0])).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(replayed.map((c) => c.s!)).toEqual(replayed.map((c) => c.s!).sort((x, y) => x - y));
      expect(second.problems).toEqual([]);
      second.close();
    } finally {
      await small.close();
    }
  });

  it('works through the SDK (nodeZlibInflater): in order, across client drops and server-requested reconnects', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const live = await server.connect(members[0]!.client.token!, { compress: true, inflater: nodeZlibInflater });
    const { received, resumes } = await sendThroughDrops(owner, general.id, live, [
      // The server's RECONNECT is compressed and must arrive before its close.
      () => server.app.gateway.reconnectUser(members[0]!.userId as never),
      // The client's own drop resumes too.
      () => live.gateway.reconnect(),
    ]);
    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => `n${i}`));
    expect(resumes).toBe(2);
  });

  it.each([['zstd-stream'], ['zlib'], ['']])('refuses compress=%s with 4002, saying what it offers', async (value) => {
    const gw = await RawGateway.open(server.url, `?v=10&encoding=json&compress=${value}`);
    expect(await gw.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    expect(gw.closed!.reason).toContain('compress=zlib-stream');
  });
});
