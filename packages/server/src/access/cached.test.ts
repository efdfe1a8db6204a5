import { OverwriteType, Permissions, type Snowflake, routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeGuild } from '../testing/fixtures';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(() => server.close());

const SEND = String(Permissions.SEND_MESSAGES);

/*
 * What a send reads is cached per node (access/cached.ts, the session in auth/sessions.ts):
 * every change is in force for the very next request, each one right after a send that had
 * the old rows cached.
 */
describe('cached access and sessions follow every change at once', () => {
  it('roles, overwrites, a timeout and a kick decide the next send', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const member = members[0]!;
    const params = { guild_id: guild.id };
    const send = (content: string) => member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content } });
    const refused = async (content: string) => (await failure(send(content))).code;

    await send('cached');
    // @everyone loses Send Messages: refused; given back: allowed.
    const everyone = (await owner.client.request(routes.roles.list, { params })).find((r) => r.id === guild.id)!;
    await owner.client.request(routes.roles.update, { params: { ...params, role_id: guild.id }, body: { permissions: String(BigInt(everyone.permissions) & ~Permissions.SEND_MESSAGES) } });
    expect(await refused('no send')).toBe(50013);
    // A role of theirs grants it.
    const talkers = await owner.client.request(routes.roles.create, { params, body: { name: 'Talkers', permissions: SEND } });
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: member.userId as Snowflake, role_id: talkers.id } });
    await send('through the role');
    await owner.client.request(routes.roles.removeFromMember, { params: { ...params, user_id: member.userId as Snowflake, role_id: talkers.id } });
    expect(await refused('role taken')).toBe(50013);
    await owner.client.request(routes.roles.update, { params: { ...params, role_id: guild.id }, body: { permissions: everyone.permissions } });
    await send('back');

    // An overwrite on the channel denies it to them, then is removed.
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: general.id, overwrite_id: member.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, allow: '0', deny: SEND },
    });
    expect(await refused('overwritten')).toBe(50013);
    await owner.client.request(routes.moderation.deleteOverwrite, { params: { channel_id: general.id, overwrite_id: member.userId as Snowflake } });
    await send('overwrite gone');

    // A timeout, then its end.
    const until = new Date(Date.now() + 60_000).toISOString();
    await owner.client.request(routes.moderation.updateMember, { params: { ...params, user_id: member.userId as Snowflake }, body: { communication_disabled_until: until } });
    expect(await refused('timed out')).toBe(50013);
    await owner.client.request(routes.moderation.updateMember, { params: { ...params, user_id: member.userId as Snowflake }, body: { communication_disabled_until: null } });
    await send('timeout over');

    // Kicked: the channel is unknown to them.
    await owner.client.request(routes.guilds.kickMember, { params: { ...params, user_id: member.userId as Snowflake } });
    expect(await refused('kicked')).toBe(10003);
  });

  it('a revoked session, a signed-out token and a deleted channel fail the next request', async () => {
    const { owner, general } = await makeGuild(server);
    const send = (client: typeof owner.client, content: string) => client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content } });
    const phone = server.client(sessionOf(await server.client().request(routes.auth.login, { body: { login: owner.username, password: owner.password } })).token);
    await send(phone, 'from the phone');
    const phoneSession = (await owner.client.request(routes.auth.listSessions)).find((s) => !s.current)!;
    await owner.client.request(routes.auth.revokeSession, { params: { session_id: phoneSession.id } });
    expect((await failure(send(phone, 'revoked'))).status).toBe(401);

    await send(owner.client, 'still signed in here');
    await owner.client.request(routes.channels.delete, { params: { channel_id: general.id } });
    expect((await failure(send(owner.client, 'deleted'))).code).toBe(10003);
    await owner.client.request(routes.auth.logout);
    expect((await failure(owner.client.request(routes.users.getMe))).status).toBe(401);
  });
});
