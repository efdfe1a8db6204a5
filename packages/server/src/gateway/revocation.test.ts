import { GatewayCloseCode, GatewayOpcode, type Message, routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGuild, signUp } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '10000/1', GATEWAY_MAX_BUFFERED_BYTES: String(64 * 1024) } });
});
afterAll(() => server.close());

/** A raw gateway connection identified with `token`, past READY. */
async function listen(token: string): Promise<RawGateway> {
  const gateway = await RawGateway.open(server.url);
  gateway.identify(token);
  await gateway.dispatch('READY');
  return gateway;
}

/** A second sign-in of the same person (another device). */
async function signInAgain(person: { username: string; password: string }): Promise<string> {
  return sessionOf(await server.client().request(routes.auth.login, { body: { login: person.username, password: person.password } })).token;
}

describe('revoked credentials close open connections at once', () => {
  it('on sign-out and on revoking a session from another device, and the session cannot resume', async () => {
    const person = await signUp(server);
    const laptop = await listen(person.client.token!);
    const phoneToken = await signInAgain(person);
    const phone = await listen(phoneToken);
    const ready = phone.frames.find((f) => f.t === 'READY')!;

    // The laptop lists its sessions and revokes the phone's.
    const phoneSession = (await person.client.request(routes.auth.listSessions)).find((s) => !s.current)!;
    await person.client.request(routes.auth.revokeSession, { params: { session_id: phoneSession.id } });
    expect(await phone.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
    expect(laptop.closed).toBeNull();
    // Resuming with the revoked token fails too.
    const retry = await RawGateway.open(server.url);
    retry.send({ op: GatewayOpcode.RESUME, d: { token: phoneToken, session_id: (ready.d as { session_id: string }).session_id, seq: 1 } });
    expect(await retry.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);

    await person.client.request(routes.auth.logout);
    expect(await laptop.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
  });

  it('on a password change: every other device is signed out, this one stays', async () => {
    const person = await signUp(server);
    const here = await listen(person.client.token!);
    const elsewhere = await listen(await signInAgain(person));
    await person.client.request(routes.users.updateMe, { body: { password: person.password, new_password: 'a brand new passphrase' } });
    expect(await elsewhere.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
    // Still connected and hearing events: a DM reaches it.
    const friend = await signUp(server);
    const dm = await friend.client.request(routes.channels.openDm, { body: { recipient_id: person.userId } });
    await friend.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'still there?' } });
    expect(((await here.dispatch('MESSAGE_CREATE')).d as Message).content).toBe('still there?');
    expect(here.closed).toBeNull();
  });

  it('when a bot token is reset', async () => {
    const owner = await signUp(server);
    const application = await owner.client.request(routes.applications.create, { body: { name: 'Reset Me' } });
    const { token } = await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
    const bot = await RawGateway.open(server.url);
    bot.identify(token, { intents: 1 });
    await bot.dispatch('READY');
    await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
    expect(await bot.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
  });

  it('when sessions are deleted behind the server’s back (the admin CLI), at the next check', async () => {
    const person = await signUp(server);
    const gateway = await listen(person.client.token!);
    await server.db.database.db
      .deleteFrom('sessions')
      .where('user_id', '=', person.userId as never)
      .execute();
    await server.app.gateway.closeRevokedSignIns();
    expect(await gateway.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
  });
});

describe('leaving stops the events at once', () => {
  it('a member who leaves a server or a private channel hears nothing more from it', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [leaver, stayer] = members;
    const room = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'inner', private: true } });
    await owner.client.request(routes.channels.addMember, { params: { channel_id: room.id, user_id: leaver!.userId } });
    const gateway = await listen(leaver!.client.token!);

    await leaver!.client.request(routes.channels.removeMember, { params: { channel_id: room.id, user_id: leaver!.userId } });
    await gateway.dispatch('CHANNEL_MEMBER_REMOVE');
    await owner.client.request(routes.messages.create, { params: { channel_id: room.id }, body: { content: 'after you left the room' } });
    await leaver!.client.request(routes.guilds.leave, { params: { guild_id: guild.id } });
    await gateway.dispatch('GUILD_DELETE');
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'after you left the server' } });
    // A DM to the leaver after both: once it arrives, anything sent before it would have too.
    const dm = await stayer!.client.request(routes.channels.openDm, { body: { recipient_id: leaver!.userId } });
    await stayer!.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'marker' } });
    await gateway.next((f) => f.t === 'MESSAGE_CREATE' && (f.d as Message).content === 'marker');
    const heard = gateway.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as Message).content);
    expect(heard).toEqual(['marker']);
  });
});

describe('resume after a large backlog', () => {
  it('replays more than the slow-consumer limit at the client’s pace instead of cutting it off', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const first = await listen(members[0]!.client.token!);
    const sessionId = (first.frames.find((f) => f.t === 'READY')!.d as { session_id: string }).session_id;
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'before' } });
    const seen = await first.next((f) => f.t === 'MESSAGE_CREATE');
    first.socket.terminate();

    // ~1 MB missed against a 64 KiB limit: sixteen times what may sit unread in the buffer.
    const big = 'x'.repeat(3900);
    const count = 250;
    for (let i = 0; i < count; i++) await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `${i} ${big}` } });

    const second = await RawGateway.open(server.url);
    second.send({ op: GatewayOpcode.RESUME, d: { token: members[0]!.client.token, session_id: sessionId, seq: seen.s } });
    await second.dispatch('RESUMED');
    const replayed = second.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => Number((f.d as Message).content.split(' ')[0]));
    expect(replayed).toEqual(Array.from({ length: count }, (_, i) => i));
    second.close();
  });
});
