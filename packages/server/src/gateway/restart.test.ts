import fs from 'node:fs/promises';
import path from 'node:path';
import { GatewayOpcode, type Message, routes } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { makeGuild } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { startTestServer } from '../testing/server';

/** A single node hands its sessions and event log from one start to the next (restart-state.ts). */
const send = (who: Awaited<ReturnType<typeof makeGuild>>['owner'], channelId: string, content: string) =>
  who.client.request(routes.messages.create, { params: { channel_id: channelId as never }, body: { content } });

const contents = (frames: RawGateway['frames']) => frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as Message).content);

describe('a restart of a single node', () => {
  it('lets a session resume: what it missed before the restart is replayed once, in order, then live events follow', async () => {
    const server = await startTestServer();
    try {
      const { owner, general, members } = await makeGuild(server, { members: 1 });
      const gw = await RawGateway.open(server.url);
      gw.identify(members[0]!.client.token!);
      const ready = await gw.dispatch('READY');
      const sessionId = (ready.d as { session_id: string }).session_id;
      await send(owner, general.id, 'seen');
      const seen = await gw.dispatch('MESSAGE_CREATE');
      // The client drops; two messages go out while it is away; then the server restarts.
      gw.socket.terminate();
      await send(owner, general.id, 'missed 1');
      await send(owner, general.id, 'missed 2');
      await server.restart();

      const resumed = await RawGateway.open(server.url);
      resumed.send({ op: GatewayOpcode.RESUME, d: { token: members[0]!.client.token!, session_id: sessionId, seq: seen.s } });
      await resumed.dispatch('RESUMED');
      expect(contents(resumed.frames)).toEqual(['missed 1', 'missed 2']);
      await send(owner, general.id, 'after');
      const live = await resumed.next((f) => f.t === 'MESSAGE_CREATE' && (f.d as Message).content === 'after');
      expect(live.s).toBeGreaterThan(seen.s!);
      expect(contents(resumed.frames)).toEqual(['missed 1', 'missed 2', 'after']);
      resumed.close();
    } finally {
      await server.close();
    }
  });

  it('an SDK client told to reconnect by the shutdown resumes on the restarted server, without a new READY', async () => {
    const server = await startTestServer();
    try {
      const { owner, general, members } = await makeGuild(server, { members: 1 });
      const live = await server.connect(members[0]!.client.token!);
      let readies = 0;
      live.gateway.on('READY', () => readies++);
      const resumed = new Promise<void>((resolve) => live.gateway.on('RESUMED', () => resolve()));
      await server.restart();
      await resumed;
      const arrived = new Promise<string>((resolve) => live.gateway.on('MESSAGE_CREATE', (m) => resolve(m.content)));
      await send(owner, general.id, 'hello again');
      expect(await arrived).toBe('hello again');
      expect(readies).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('starts afresh when the saved state is unreadable, and uses it only once', async () => {
    const server = await startTestServer();
    try {
      const { members } = await makeGuild(server, { members: 1 });
      const gw = await RawGateway.open(server.url);
      gw.identify(members[0]!.client.token!);
      const ready = await gw.dispatch('READY');
      gw.socket.terminate();
      // Shut down gracefully, then damage what was saved; the next start must still come up.
      await server.app.close();
      const file = path.join(server.db.dataDir, 'gateway-restart.json');
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      await fs.writeFile(file, '{"version":1,"savedAt":');
      await server.restart();
      await expect(fs.stat(file)).rejects.toThrow();
      const attempt = await RawGateway.open(server.url);
      attempt.send({ op: GatewayOpcode.RESUME, d: { token: members[0]!.client.token!, session_id: (ready.d as { session_id: string }).session_id, seq: ready.s } });
      expect(await attempt.next((f) => f.op === GatewayOpcode.INVALID_SESSION || f.t === 'RESUMED')).toMatchObject({ op: GatewayOpcode.INVALID_SESSION, d: false });
      attempt.close();
    } finally {
      await server.close();
    }
  });
});
