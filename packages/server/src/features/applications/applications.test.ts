import { GatewayOpcode, Intents, Permissions, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, joinGuild, makeGuild, signUp } from '../../testing/fixtures';
import { RawGateway } from '../../testing/raw-gateway';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function makeBot(owner: Awaited<ReturnType<typeof signUp>>, name = 'Helper') {
  const application = await owner.client.request(routes.applications.create, { body: { name } });
  const { token, user } = await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
  return { application, token, user, rest: new RestClient({ baseUrl: server.url, token: `Bot ${token}` }) };
}

describe('bots', () => {
  it('get a token that works as `Bot <token>` and never looks like a person’s', async () => {
    const owner = await signUp(server);
    const bot = await makeBot(owner);
    expect(bot.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(bot.token).not.toMatch(/^(bot|bearer)/i);
    expect(await bot.rest.request(routes.users.getMe)).toMatchObject({ id: bot.user.id, bot: true, username: 'helper' });
    expect((await bot.rest.request(routes.applications.current)).id).toBe(bot.application.id);
    // Without the scheme word, the token is not accepted on REST.
    expect((await failure(new RestClient({ baseUrl: server.url, token: bot.token }).request(routes.users.getMe))).status).toBe(401);
    // A new token replaces the old one.
    const { token: fresh } = await owner.client.request(routes.applications.createBot, { params: { application_id: bot.application.id }, body: { password: owner.password } });
    expect((await failure(bot.rest.request(routes.users.getMe))).status).toBe(401);
    expect((await new RestClient({ baseUrl: server.url, token: `Bot ${fresh}` }).request(routes.users.getMe)).id).toBe(bot.user.id);
  });

  it('a token is issued only to someone who proves it is them: the password, nothing else', async () => {
    const owner = await signUp(server);
    const application = await owner.client.request(routes.applications.create, { body: { name: 'Guarded' } });
    const missing = await failure(owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: {} }));
    expect(missing.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
    const wrong = await failure(owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: 'not the password' } }));
    expect(wrong.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_DOES_NOT_MATCH' });
    expect((await owner.client.request(routes.applications.listMine)).find((a) => a.id === application.id)?.bot ?? null).toBeNull();
  });

  it('cannot use people-only endpoints', async () => {
    const bot = await makeBot(await signUp(server));
    for (const attempt of [
      () => bot.rest.request(routes.auth.listSessions),
      () => bot.rest.request(routes.guilds.create, { body: { name: 'bot server' } }),
      () => bot.rest.request(routes.applications.create, { body: { name: 'bot app' } }),
    ]) {
      expect(await failure(attempt())).toMatchObject({ status: 403, code: 20001 });
    }
  });

  it('are added to a server only by someone with Manage Server, with no more permissions than they hold', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const member = await joinGuild(server, owner, general.id);
    const bot = await makeBot(owner);
    const authorize = (who: typeof owner, permissions: bigint) =>
      who.client.request(routes.applications.authorize, {
        query: { client_id: bot.application.id, scope: 'bot' },
        body: { guild_id: guild.id, permissions: String(permissions), authorize: true },
      });
    expect((await failure(authorize(member, Permissions.SEND_MESSAGES))).code).toBe(50013);
    const info = await member.client.request(routes.applications.authorizeInfo, { query: { client_id: bot.application.id, scope: 'bot' } });
    expect(info).toMatchObject({ bot: { id: bot.user.id }, guilds: [] });
    expect((await owner.client.request(routes.applications.authorizeInfo, { query: { client_id: bot.application.id, scope: 'bot' } })).guilds.map((g) => g.id)).toEqual([guild.id]);

    await authorize(owner, Permissions.SEND_MESSAGES | Permissions.VIEW_CHANNEL);
    const botMember = await owner.client.request(routes.guilds.getMember, { params: { guild_id: guild.id, user_id: bot.user.id } });
    expect(botMember.roles).toHaveLength(1);
    const roles = await owner.client.request(routes.roles.list, { params: { guild_id: guild.id } });
    expect(roles.find((r) => r.id === botMember.roles[0])).toMatchObject({ name: 'Helper', managed: true, permissions: String(Permissions.SEND_MESSAGES | Permissions.VIEW_CHANNEL) });
    // Adding it twice changes nothing.
    await authorize(owner, Permissions.SEND_MESSAGES);
    expect((await owner.client.request(routes.roles.list, { params: { guild_id: guild.id } })).length).toBe(roles.length);
    expect((await bot.rest.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'beep' } })).author.bot).toBe(true);
  });

  it('are told their guilds as unavailable in READY, then get one GUILD_CREATE each (what bot libraries wait for)', async () => {
    const { owner, guild } = await makeGuild(server);
    const bot = await makeBot(owner);
    await owner.client.request(routes.applications.authorize, {
      query: { client_id: bot.application.id, scope: 'bot' },
      body: { guild_id: guild.id, permissions: '0', authorize: true },
    });
    const gw = await RawGateway.open(server.url);
    // Gateway IDENTIFY carries the bare token, as Discord's does.
    gw.send({ op: GatewayOpcode.IDENTIFY, d: { token: bot.token, intents: Intents.GUILDS, properties: { os: 'linux' } } });
    const ready = await gw.dispatch('READY');
    expect(ready.d).toMatchObject({ guilds: [{ id: guild.id, unavailable: true }], application: { id: bot.application.id }, user: { bot: true } });
    const created = await gw.dispatch('GUILD_CREATE');
    expect(created.d).toMatchObject({ id: guild.id, unavailable: false });
    gw.close();

    const noIntents = await RawGateway.open(server.url);
    noIntents.send({ op: GatewayOpcode.IDENTIFY, d: { token: bot.token, properties: {} } });
    expect(await noIntents.closeCode()).toBe(4013);
  });

  it('advertise the gateway for bots', async () => {
    const bot = await makeBot(await signUp(server));
    const info = await bot.rest.request(routes.applications.gatewayBot);
    expect(info).toMatchObject({ url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/gateway$/), shards: 1, session_start_limit: { max_concurrency: 1 } });
  });
});
