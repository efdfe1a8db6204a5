import { routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('invites', () => {
  it('show what they lead to before sign-in: the server, its icon, its member count and who invited', async () => {
    const { owner, guild, general } = await makeGuild(server, { members: 2, name: 'Night Owls' });
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    const anonymous = server.client();
    const seen = await anonymous.request(routes.invites.get, { params: { code: invite.code }, query: { with_counts: 'true' } });
    expect(seen).toMatchObject({ code: invite.code, guild: { id: guild.id, name: 'Night Owls', icon: null }, channel: { id: general.id }, approximate_member_count: 3 });
    expect(seen.inviter).toMatchObject({ id: owner.userId, username: owner.username });
    // What only managers see stays out.
    expect(seen.uses).toBeUndefined();
    // Joining still takes an account.
    expect((await failure(anonymous.request(routes.invites.accept, { params: { code: invite.code } }))).status).toBe(401);
    expect((await failure(anonymous.request(routes.invites.get, { params: { code: 'nope1234' } }))).code).toBe(10006);
  });
});
