import { ChannelType, type GuildCreate, type Ready, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeGuild, makeImage, signUp } from '../../testing/fixtures';
import { RawGateway } from '../../testing/raw-gateway';
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

describe('server management', () => {
  it('renames and sets an icon (Manage Server), tells members, and only the owner deletes', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const memberLive = await server.connect(members[0]!.client.token!);
    const png = await makeImage('png', 300);
    const updated = memberLive.gateway.once('GUILD_UPDATE');
    const renamed = await owner.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { name: 'Renamed', icon: `data:image/png;base64,${png.toString('base64')}` } });
    expect(renamed).toMatchObject({ name: 'Renamed', icon: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect((await updated).name).toBe('Renamed');
    const icon = await fetch(`${server.url}/cdn/icons/${guild.id}/${renamed.icon}.png`);
    expect(icon.status).toBe(200);
    expect((await failure(members[0]!.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { name: 'Mine now' } }))).code).toBe(50013);
    expect((await failure(members[0]!.client.request(routes.guilds.delete, { params: { guild_id: guild.id } }))).code).toBe(50013);

    const gone = memberLive.gateway.once('GUILD_DELETE');
    await owner.client.request(routes.guilds.delete, { params: { guild_id: guild.id } });
    expect((await gone).id).toBe(guild.id);
    expect(memberLive.cache.guilds.has(guild.id)).toBe(false);
    expect((await failure(members[0]!.client.request(routes.guilds.get, { params: { guild_id: guild.id } }))).code).toBe(10004);
  });

  it('lets members leave (not the owner), and lists members paged with nicknames', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 3 });
    expect((await failure(owner.client.request(routes.guilds.leave, { params: { guild_id: guild.id } }))).code).toBe(90007);
    const ownerLive = await server.connect(owner.client.token!);
    const left = ownerLive.gateway.once('GUILD_MEMBER_REMOVE');
    await members[2]!.client.request(routes.guilds.leave, { params: { guild_id: guild.id } });
    expect((await left).user.id).toBe(members[2]!.userId);
    expect((await failure(members[2]!.client.request(routes.messages.list, { params: { channel_id: general.id } }))).code).toBe(10003);

    const nicked = await members[0]!.client.request(routes.guilds.updateOwnMember, { params: { guild_id: guild.id }, body: { nick: 'Captain' } });
    expect(nicked.nick).toBe('Captain');
    const firstPage = await owner.client.request(routes.guilds.listMembers, { params: { guild_id: guild.id }, query: { limit: 2 } });
    const secondPage = await owner.client.request(routes.guilds.listMembers, { params: { guild_id: guild.id }, query: { limit: 2, after: firstPage[1]!.user.id } });
    expect([...firstPage, ...secondPage].map((m) => m.user.id).sort()).toEqual([owner.userId, members[0]!.userId, members[1]!.userId].sort());
    expect(await owner.client.request(routes.guilds.listMine)).toEqual([expect.objectContaining({ id: guild.id, owner: true })]);
    expect((await members[0]!.client.request(routes.guilds.listMine))[0]).toMatchObject({ owner: false, permissions: expect.stringMatching(/^\d+$/) });
  });

  it('expires and revokes invites; only their creator or a manager revokes', async () => {
    let now = Date.UTC(2026, 10, 21);
    const timed = await startTestServer({ clock: { now: () => now } });
    try {
      const { owner, guild, general, members } = await makeGuild(timed, { members: 1 });
      const hourly = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: { max_age: 3600 } });
      const forever = await members[0]!.client.request(routes.invites.create, { params: { channel_id: general.id }, body: { max_age: 0 } });
      expect(hourly.expires_at).toBe(new Date(now + 3600_000).toISOString());
      expect(forever.expires_at).toBeNull();
      expect((await owner.client.request(routes.invites.listGuild, { params: { guild_id: guild.id } })).map((i) => i.code)).toEqual(expect.arrayContaining([hourly.code, forever.code]));
      expect((await failure(members[0]!.client.request(routes.invites.listGuild, { params: { guild_id: guild.id } }))).code).toBe(50013);
      now += 3601_000;
      const late = await signUp(timed);
      expect((await failure(late.client.request(routes.invites.accept, { params: { code: hourly.code } }))).code).toBe(10006);
      expect((await failure(late.client.request(routes.invites.revoke, { params: { code: forever.code } }))).code).toBe(10006);
      await members[0]!.client.request(routes.invites.revoke, { params: { code: forever.code } });
      expect((await failure(late.client.request(routes.invites.accept, { params: { code: forever.code } }))).code).toBe(10006);
    } finally {
      await timed.close();
    }
  });
});

describe('kicking', () => {
  it('removes a member at once with Kick Members, never the owner, and lets them come back by invite', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [troublemaker, bystander] = members;
    const kickedLive = await server.connect(troublemaker!.client.token!);
    const bystanderLive = await server.connect(bystander!.client.token!);
    const kick = (by: typeof owner, userId: string) => by.client.request(routes.guilds.kickMember, { params: { guild_id: guild.id, user_id: userId } });

    // Without Kick Members (members hold @everyone's, which lacks it): refused, nothing changes.
    expect((await failure(kick(bystander!, troublemaker!.userId))).code).toBe(50013);
    expect((await failure(kick(troublemaker!, owner.userId))).code).toBe(50013);
    expect((await failure(kick(owner, owner.userId))).code).toBe(50013);
    expect((await failure(kick(owner, '1'))).code).toBe(10007);

    const gone = kickedLive.gateway.once('GUILD_DELETE');
    const removed = bystanderLive.gateway.once('GUILD_MEMBER_REMOVE');
    await kick(owner, troublemaker!.userId);
    expect((await gone).id).toBe(guild.id);
    expect((await removed).user.id).toBe(troublemaker!.userId);
    expect((await failure(troublemaker!.client.request(routes.messages.list, { params: { channel_id: general.id } }))).code).toBe(10003);
    expect((await owner.client.request(routes.guilds.listMembers, { params: { guild_id: guild.id } })).map((m) => m.user.id)).not.toContain(troublemaker!.userId);

    // A kick is not a ban: a new invite brings them back.
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await troublemaker!.client.request(routes.invites.accept, { params: { code: invite.code } });
    expect((await troublemaker!.client.request(routes.messages.list, { params: { channel_id: general.id } })).length).toBeGreaterThanOrEqual(0);
  });
});

describe('large servers (IDENTIFY large_threshold)', () => {
  it('lists every member and presence of a small server, but only the viewer and who is in a call in a large one, with their presences only', async () => {
    const { owner, guild, general } = await makeGuild(server, { name: 'Assembly' });
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: { max_uses: 0 } });
    const guests: string[] = [];
    for (let i = 0; i < 51; i++) {
      const { token } = await server.client().request(routes.auth.guest);
      await server.client(token).request(routes.invites.accept, { params: { code: invite.code } });
      guests.push(token);
    }
    // 52 members: the owner and 51 guests. One guest stays online.
    const online = await server.connect(guests[10]!);
    const readyOf = async (token: string, extra: Record<string, unknown> = {}) => {
      const gw = await RawGateway.open(server.url);
      gw.identify(token, extra);
      const ready = (await gw.dispatch('READY')).d as Ready;
      gw.close();
      return ready.guilds.find((g) => g.id === guild.id) as GuildCreate;
    };

    const large = await readyOf(owner.client.token!);
    expect(large).toMatchObject({ large: true, member_count: 52 });
    expect(large.members.map((m) => m.user.id)).toEqual([owner.userId]);
    // Everyone else's presence is followed on demand (op 14, gateway/guild-presences.test.ts).
    expect(large.presences.map((p) => p.user.id)).toEqual([owner.userId]);

    // Asking for up to 250 listed members makes the same server small.
    const small = await readyOf(owner.client.token!, { large_threshold: 250 });
    expect(small).toMatchObject({ large: false, member_count: 52 });
    expect(small.members).toHaveLength(52);
    expect(small.presences.map((p) => p.user.id)).toContain(online.cache.user!.id);

    // Out-of-range thresholds are refused like any malformed IDENTIFY.
    const gw = await RawGateway.open(server.url);
    gw.identify(owner.client.token!, { large_threshold: 10_000 });
    expect(await gw.closeCode()).toBe(4002);
  });
});
