import { type Message, type Presence, type Ready, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** READY's DM-partner presences for a fresh connection with this token. */
async function readyPresences(token: string): Promise<Presence[]> {
  const gw = await RawGateway.open(server.url);
  try {
    gw.identify(token);
    return ((await gw.dispatch('READY')).d as Ready).presences ?? [];
  } finally {
    gw.close();
  }
}

describe('presence between DM partners who share no server', () => {
  it('is hidden while a message request waits, shown once accepted (live and in READY), hidden again after a block', async () => {
    const sender = await signUp(server);
    const recipient = await signUp(server);
    const senderLive = await server.connect(sender.client.token!);
    const recipientLive = await server.connect(recipient.client.token!);

    // A request: neither sees the other.
    const dm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: recipient.userId as never } });
    await (sender.client.request as (...args: unknown[]) => Promise<Message>)(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hello there' } });
    expect(await readyPresences(recipient.client.token!)).toEqual([]);
    expect(await readyPresences(sender.client.token!)).toEqual([]);
    expect(recipientLive.cache.presences.get(sender.userId as never)).toBeUndefined();

    // Accepted: each learns the other is online at once.
    const senderSeen = recipientLive.gateway.once('PRESENCE_UPDATE', (p) => p.user.id === sender.userId);
    const recipientSeen = senderLive.gateway.once('PRESENCE_UPDATE', (p) => p.user.id === recipient.userId);
    await recipient.client.request(routes.channels.acceptRequest, { params: { channel_id: dm.id } });
    expect(await senderSeen).toMatchObject({ status: 'online' });
    expect((await senderSeen).guild_id).toBeUndefined();
    expect(await recipientSeen).toMatchObject({ status: 'online' });

    // Later changes reach them, and a new session's READY has them.
    const idle = recipientLive.gateway.once('PRESENCE_UPDATE', (p) => p.user.id === sender.userId && p.status === 'idle');
    senderLive.gateway.updatePresence('idle');
    await idle;
    expect(recipientLive.cache.presences.get(sender.userId as never)).toBe('idle');
    expect(await readyPresences(recipient.client.token!)).toEqual([expect.objectContaining({ user: { id: sender.userId }, status: 'idle' })]);

    // Blocked: no more.
    await recipient.client.request(routes.relationships.block, { params: { user_id: sender.userId as never }, body: { type: 2 } });
    expect(await readyPresences(recipient.client.token!)).toEqual([]);
    expect(await readyPresences(sender.client.token!)).toEqual([]);
  });
});
