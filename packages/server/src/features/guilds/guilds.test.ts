import { ChannelType, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('servers', () => {
  it('creates a server with default channels, tells the owner over the gateway, and lets people join by invite', async () => {
    const owner = await signUp(server);
    const ownerLive = await server.connect(owner.client.token!);
    const created = ownerLive.gateway.once('GUILD_CREATE');
    const guild = await owner.client.request(routes.guilds.create, { body: { name: 'Book Club' } });
    expect(guild).toMatchObject({ name: 'Book Club', owner_id: owner.userId });
    expect(guild.roles).toEqual([expect.objectContaining({ id: guild.id, name: '@everyone' })]);
    const event = await created;
    expect(event.id).toBe(guild.id);
    expect(event.channels.map((c) => [c.type, c.name])).toEqual(
      expect.arrayContaining([
        [ChannelType.GUILD_CATEGORY, 'Text Channels'],
        [ChannelType.GUILD_TEXT, 'general'],
        [ChannelType.GUILD_VOICE, 'General'],
      ]),
    );
    expect(ownerLive.cache.guilds.get(guild.id)?.name).toBe('Book Club');

    const general = event.channels.find((c) => c.name === 'general')!;
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: { max_uses: 1 } });
    expect(invite).toMatchObject({ guild: { id: guild.id }, channel: { id: general.id }, uses: 0, max_uses: 1 });

    const friend = await signUp(server);
    const friendLive = await server.connect(friend.client.token!);
    const joinedEvent = ownerLive.gateway.once('GUILD_MEMBER_ADD');
    const friendGuild = friendLive.gateway.once('GUILD_CREATE');
    expect((await friend.client.request(routes.invites.get, { params: { code: invite.code }, query: { with_counts: 'true' } })).approximate_member_count).toBe(1);
    await friend.client.request(routes.invites.accept, { params: { code: invite.code } });
    expect((await joinedEvent).user.id).toBe(friend.userId);
    expect((await friendGuild).member_count).toBe(2);
    // Used up.
    const third = await signUp(server);
    expect((await failure(third.client.request(routes.invites.accept, { params: { code: invite.code } }))).code).toBe(10006);
    expect((await failure(third.client.request(routes.guilds.get, { params: { guild_id: guild.id } }))).code).toBe(10004);
  });
});
