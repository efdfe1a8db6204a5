import { ChannelType, type Message, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../testing/fixtures';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(() => server.close());

/** Resolves with the first `count` MESSAGE_CREATEs a client receives from now on. */
function collect(gateway: Awaited<ReturnType<TestServer['connect']>>['gateway'], count: number): Promise<Message[]> {
  const received: Message[] = [];
  return new Promise((resolve) => {
    const off = gateway.on('MESSAGE_CREATE', (message) => {
      received.push(message);
      if (received.length < count) return;
      off();
      resolve(received);
    });
  });
}

describe('gateway fan-out', () => {
  // Frames a socket gets in one turn of the event loop leave in one write (connection.ts):
  // messages sent together must still reach everyone once each, in one order for all.
  it('delivers a burst of messages to every member exactly once, in the same order everywhere', async () => {
    const owner = await signUp(server);
    const guild = await owner.client.request(routes.guilds.create, { body: { name: 'Burst' } });
    const channels = await owner.client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } });
    const general = channels.find((c) => c.type === ChannelType.GUILD_TEXT)!;
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    const members = [owner];
    for (let i = 0; i < 3; i++) {
      const member = await signUp(server);
      await member.client.request(routes.invites.accept, { params: { code: invite.code } });
      members.push(member);
    }
    const live = await Promise.all(members.map((m) => server.connect(m.client.token!)));
    const burst = 30;
    const received = live.map((client) => collect(client.gateway, burst));

    const sent = await Promise.all(
      Array.from({ length: burst }, (_, i) => members[i % 2]!.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `burst ${i}` } })),
    );

    const orders = (await Promise.all(received)).map((messages) => messages.map((m) => m.id));
    for (const order of orders) {
      expect(new Set(order).size).toBe(burst);
      expect(order).toEqual(orders[0]);
    }
    expect([...orders[0]!].sort()).toEqual(sent.map((m) => m.id).sort());
  });
});
