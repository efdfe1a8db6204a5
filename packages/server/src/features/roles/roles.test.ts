import { ChannelType, GatewayOpcode, OverwriteType, Permissions, routes, type Snowflake } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { failure, makeGuild } from '../../testing/fixtures';
import { RawGateway } from '../../testing/raw-gateway';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const bits = (...names: (keyof typeof Permissions)[]) => String(names.reduce((all, name) => all | Permissions[name], 0n));

describe('roles', () => {
  it('are created just above @everyone, edited, reordered and deleted, and every member sees it live', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const watcher = await server.connect(members[0]!.client.token!);
    const created = collect(watcher.gateway, 'GUILD_ROLE_CREATE');
    const updated = collect(watcher.gateway, 'GUILD_ROLE_UPDATE');
    const deleted = collect(watcher.gateway, 'GUILD_ROLE_DELETE');
    const params = { guild_id: guild.id };

    const mods = await owner.client.request(routes.roles.create, { params, body: { name: 'Moderators', color: 0x3366ff, hoist: true, permissions: bits('KICK_MEMBERS') } });
    expect(mods).toMatchObject({ name: 'Moderators', color: 0x3366ff, hoist: true, mentionable: false, position: 1, permissions: bits('KICK_MEMBERS') });
    const helpers = await owner.client.request(routes.roles.create, { params, body: { name: 'Helpers' } });
    expect(helpers.position).toBe(1);
    expect((await created.count(2)).map((e) => e.role.name)).toEqual(['Moderators', 'Helpers']);
    // Moderators moved up to make room.
    await updated.until('Moderators at 2', (events) => events.some((e) => e.role.id === mods.id && e.role.position === 2));

    const renamed = await owner.client.request(routes.roles.update, { params: { ...params, role_id: helpers.id }, body: { name: 'Helpers+', mentionable: true } });
    expect(renamed).toMatchObject({ name: 'Helpers+', mentionable: true });
    await updated.until('the rename', (events) => events.some((e) => e.role.name === 'Helpers+'));

    const reordered = await owner.client.request(routes.roles.reorder, { params, body: [{ id: helpers.id, position: 2 }] });
    expect(reordered.map((r) => [r.name, r.position])).toEqual([
      ['@everyone', 0],
      ['Moderators', 1],
      ['Helpers+', 2],
    ]);
    await updated.until('the move', (events) => events.some((e) => e.role.id === helpers.id && e.role.position === 2));

    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: members[0]!.userId as Snowflake, role_id: helpers.id } });
    await owner.client.request(routes.roles.delete, { params: { ...params, role_id: helpers.id } });
    expect((await deleted.count(1))[0]).toEqual({ guild_id: guild.id, role_id: helpers.id });
    const member = await owner.client.request(routes.guilds.getMember, { params: { ...params, user_id: members[0]!.userId as Snowflake } });
    expect(member.roles).toEqual([]);
    expect((await owner.client.request(routes.roles.list, { params })).map((r) => r.name)).toEqual(['@everyone', 'Moderators']);

    // @everyone stays: not deleted, not renamed, not moved.
    expect((await failure(owner.client.request(routes.roles.delete, { params: { ...params, role_id: guild.id } }))).code).toBe(50013);
    expect((await failure(owner.client.request(routes.roles.update, { params: { ...params, role_id: guild.id }, body: { name: 'all' } }))).code).toBe(50035);
    expect((await failure(owner.client.request(routes.roles.reorder, { params, body: [{ id: guild.id, position: 3 }] }))).code).toBe(50035);
    expect((await failure(owner.client.request(routes.roles.update, { params: { ...params, role_id: '1' as Snowflake }, body: { name: 'x' } }))).code).toBe(10011);
  });

  it('give their permissions to the members who hold them, live', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 2 });
    const [moderator, target] = members as [(typeof members)[0], (typeof members)[0]];
    const params = { guild_id: guild.id };
    expect((await failure(moderator.client.request(routes.guilds.kickMember, { params: { ...params, user_id: target.userId as Snowflake } }))).code).toBe(50013);
    const live = await server.connect(moderator.client.token!);
    const memberUpdates = collect(live.gateway, 'GUILD_MEMBER_UPDATE');
    const mods = await owner.client.request(routes.roles.create, { params, body: { name: 'Mods', permissions: bits('KICK_MEMBERS') } });
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: moderator.userId as Snowflake, role_id: mods.id } });
    await memberUpdates.until('the new role', (events) => events.some((e) => e.user.id === moderator.userId && e.roles.includes(mods.id)));
    await moderator.client.request(routes.guilds.kickMember, { params: { ...params, user_id: target.userId as Snowflake } });
    // Taking the role takes the permission.
    await owner.client.request(routes.roles.removeFromMember, { params: { ...params, user_id: moderator.userId as Snowflake, role_id: mods.id } });
    const third = members[1]!;
    expect((await failure(moderator.client.request(routes.guilds.kickMember, { params: { ...params, user_id: third.userId as Snowflake } }))).code).toBe(50013);
  });

  it('follow the hierarchy: nobody edits, gives or takes a role at or above their highest, nor grants what they lack', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 2 });
    const [manager, other] = members as [(typeof members)[0], (typeof members)[0]];
    const params = { guild_id: guild.id };
    const low = await owner.client.request(routes.roles.create, { params, body: { name: 'Low' } });
    const managers = await owner.client.request(routes.roles.create, { params, body: { name: 'Managers', permissions: bits('MANAGE_ROLES', 'KICK_MEMBERS') } });
    const high = await owner.client.request(routes.roles.create, { params, body: { name: 'High' } });
    await owner.client.request(routes.roles.reorder, {
      params,
      body: [
        { id: low.id, position: 1 },
        { id: managers.id, position: 2 },
        { id: high.id, position: 3 },
      ],
    });
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: manager.userId as Snowflake, role_id: managers.id } });
    const m = manager.client;
    const before = await owner.client.request(routes.roles.list, { params });

    // Below them: allowed.
    await m.request(routes.roles.addToMember, { params: { ...params, user_id: other.userId as Snowflake, role_id: low.id } });
    await m.request(routes.roles.update, { params: { ...params, role_id: low.id }, body: { permissions: bits('KICK_MEMBERS') } });
    // At or above them, or a permission they lack: refused, nothing changed.
    const refused = [
      failure(m.request(routes.roles.update, { params: { ...params, role_id: managers.id }, body: { name: 'Me' } })),
      failure(m.request(routes.roles.update, { params: { ...params, role_id: high.id }, body: { name: 'Up' } })),
      failure(m.request(routes.roles.addToMember, { params: { ...params, user_id: other.userId as Snowflake, role_id: high.id } })),
      failure(m.request(routes.roles.addToMember, { params: { ...params, user_id: other.userId as Snowflake, role_id: managers.id } })),
      failure(m.request(routes.roles.delete, { params: { ...params, role_id: high.id } })),
      failure(m.request(routes.roles.update, { params: { ...params, role_id: low.id }, body: { permissions: bits('KICK_MEMBERS', 'BAN_MEMBERS') } })),
      failure(m.request(routes.roles.create, { params, body: { name: 'Admins', permissions: bits('ADMINISTRATOR') } })),
      failure(m.request(routes.roles.update, { params: { ...params, role_id: guild.id }, body: { permissions: bits('VIEW_CHANNEL', 'ADMINISTRATOR') } })),
      failure(m.request(routes.roles.reorder, { params, body: [{ id: low.id, position: 3 }] })),
    ];
    // Sent together (each caught at once), checked one by one.
    for (const attempt of refused) expect((await attempt).code).toBe(50013);
    const after = await owner.client.request(routes.roles.list, { params });
    expect(after.map((r) => [r.id, r.name, r.position, r.id === low.id ? bits('KICK_MEMBERS') : r.permissions])).toEqual(
      before.map((r) => [r.id, r.name, r.position, r.id === low.id ? bits('KICK_MEMBERS') : r.permissions]),
    );
    expect((await owner.client.request(routes.guilds.getMember, { params: { ...params, user_id: other.userId as Snowflake } })).roles).toEqual([low.id]);
    // Kicking follows the same hierarchy: someone whose highest role is at or above yours is out of reach.
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: other.userId as Snowflake, role_id: high.id } });
    expect((await failure(m.request(routes.guilds.kickMember, { params: { ...params, user_id: other.userId as Snowflake } }))).code).toBe(50013);
  });
});

describe('channel overwrites', () => {
  it('hide a staff channel from everyone but a role; gaining or losing the role shows or hides it live, with its events', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const member = members[0]!;
    const params = { guild_id: guild.id };
    const staff = await owner.client.request(routes.channels.create, { params, body: { name: 'staff', type: ChannelType.GUILD_TEXT } });
    const role = await owner.client.request(routes.roles.create, { params, body: { name: 'Staff' } });
    const live = await server.connect(member.client.token!);
    const deletes = collect(live.gateway, 'CHANNEL_DELETE');
    const creates = collect(live.gateway, 'CHANNEL_CREATE');
    const messages = collect(live.gateway, 'MESSAGE_CREATE');
    const ownerMessages = collect((await server.connect(owner.client.token!)).gateway, 'MESSAGE_CREATE');

    await owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: staff.id, overwrite_id: guild.id }, body: { type: OverwriteType.ROLE, deny: bits('VIEW_CHANNEL') } });
    expect((await deletes.count(1))[0]!.id).toBe(staff.id);
    await owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: staff.id, overwrite_id: role.id }, body: { type: OverwriteType.ROLE, allow: bits('VIEW_CHANNEL') } });
    const shown = await owner.client.request(routes.channels.get, { params: { channel_id: staff.id } });
    expect(shown.permission_overwrites).toEqual(
      expect.arrayContaining([
        { id: guild.id, type: 0, allow: '0', deny: bits('VIEW_CHANNEL') },
        { id: role.id, type: 0, allow: bits('VIEW_CHANNEL'), deny: '0' },
      ]),
    );

    // Unknown to the member: not listed, not readable, no events.
    expect((await member.client.request(routes.guilds.listChannels, { params })).map((c) => c.id)).not.toContain(staff.id);
    expect((await failure(member.client.request(routes.messages.list, { params: { channel_id: staff.id } }))).code).toBe(10003);
    expect((await failure(member.client.request(routes.messages.create, { params: { channel_id: staff.id }, body: { content: 'hi' } }))).code).toBe(10003);
    const reconnected = await server.connect(member.client.token!);
    expect(reconnected.cache.channels.has(staff.id)).toBe(false);
    await owner.client.request(routes.messages.create, { params: { channel_id: staff.id }, body: { content: 'secret' } });
    // The owner is never hidden from anything.
    await ownerMessages.until('the secret', (m) => m.some((x) => x.content === 'secret'));
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'public' } });
    expect((await messages.until('the public message', (m) => m.some((x) => x.content === 'public'))).map((m) => m.content)).toEqual(['public']);

    // Given the role: the channel arrives, then its messages.
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: member.userId as Snowflake, role_id: role.id } });
    expect((await creates.until('the staff channel', (c) => c.some((x) => x.id === staff.id))).find((c) => c.id === staff.id)!.name).toBe('staff');
    expect((await member.client.request(routes.messages.list, { params: { channel_id: staff.id } })).map((m) => m.content)).toEqual(['secret']);
    await owner.client.request(routes.messages.create, { params: { channel_id: staff.id }, body: { content: 'welcome' } });
    await messages.until('the welcome', (m) => m.some((x) => x.content === 'welcome'));

    // Role taken away: the channel goes, and its events stop.
    await owner.client.request(routes.roles.removeFromMember, { params: { ...params, user_id: member.userId as Snowflake, role_id: role.id } });
    await deletes.count(2);
    await owner.client.request(routes.messages.create, { params: { channel_id: staff.id }, body: { content: 'after' } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'public again' } });
    await messages.until('the second public message', (m) => m.some((x) => x.content === 'public again'));
    expect(messages.items.map((m) => m.content)).not.toContain('after');

    // Removing the overwrite shows it to everyone again.
    await owner.client.request(routes.moderation.deleteOverwrite, { params: { channel_id: staff.id, overwrite_id: guild.id } });
    await creates.until('the staff channel again', (c) => c.filter((x) => x.id === staff.id).length === 2);
  });

  it('a member overwrite denies one person sending; nobody sets bits they lack, and threads take none', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [quiet, manager] = members as [(typeof members)[0], (typeof members)[0]];
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: general.id, overwrite_id: quiet.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, deny: bits('SEND_MESSAGES') },
    });
    expect((await failure(quiet.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hi' } }))).code).toBe(50013);
    expect((await quiet.client.request(routes.messages.list, { params: { channel_id: general.id } })).length).toBeGreaterThanOrEqual(0);
    await manager.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hi' } });

    const role = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Managers', permissions: bits('MANAGE_ROLES') } });
    await owner.client.request(routes.roles.addToMember, { params: { guild_id: guild.id, user_id: manager.userId as Snowflake, role_id: role.id } });
    const attempt = manager.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: general.id, overwrite_id: guild.id },
      body: { type: OverwriteType.ROLE, allow: bits('MANAGE_MESSAGES') },
    });
    expect((await failure(attempt)).code).toBe(50013);
    await manager.client.request(routes.moderation.editOverwrite, { params: { channel_id: general.id, overwrite_id: guild.id }, body: { type: OverwriteType.ROLE, deny: bits('ADD_REACTIONS') } });
    expect((await owner.client.request(routes.channels.get, { params: { channel_id: general.id } })).permission_overwrites).toContainEqual({
      id: guild.id,
      type: 0,
      allow: '0',
      deny: bits('ADD_REACTIONS'),
    });
    const noRole = manager.client.request(routes.moderation.editOverwrite, { params: { channel_id: general.id, overwrite_id: '123' as Snowflake }, body: { type: OverwriteType.ROLE, deny: '0' } });
    expect((await failure(noRole)).code).toBe(50035);
  });
});

describe('who receives a channel’s events', () => {
  it('holders of a role denied View Channel do not, unless their own overwrite allows it; overwrites that deny other bits hide from nobody', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 4 });
    const [hidden, allowedBack, plain, admin] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0], (typeof members)[0]];
    const params = { guild_id: guild.id };
    const muted = await owner.client.request(routes.roles.create, { params, body: { name: 'Muted' } });
    const admins = await owner.client.request(routes.roles.create, { params, body: { name: 'Admins', permissions: bits('ADMINISTRATOR') } });
    for (const who of [hidden, allowedBack, admin]) await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: who.userId as Snowflake, role_id: muted.id } });
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: admin.userId as Snowflake, role_id: admins.id } });
    const overwrite = (id: string, body: { type: 0 | 1; allow?: string; deny?: string }) =>
      owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: general.id, overwrite_id: id as Snowflake }, body });
    await overwrite(guild.id, { type: OverwriteType.ROLE, deny: bits('ADD_REACTIONS') });
    await overwrite(muted.id, { type: OverwriteType.ROLE, deny: bits('VIEW_CHANNEL') });
    await overwrite(allowedBack.userId, { type: OverwriteType.MEMBER, allow: bits('VIEW_CHANNEL') });

    const sessions = await Promise.all([hidden, allowedBack, plain, admin].map((who) => server.connect(who.client.token!)));
    const received = sessions.map((s) => collect(s.gateway, 'MESSAGE_CREATE'));
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'for some' } });
    // Administrator overrides the role's deny.
    for (const r of received.slice(1)) await r.until('the message', (m) => m.some((x) => x.content === 'for some'));

    // The role's deny lifted: the reactions deny alone hides it from nobody.
    await owner.client.request(routes.moderation.deleteOverwrite, { params: { channel_id: general.id, overwrite_id: muted.id } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'for all' } });
    for (const r of received) await r.until('the second message', (m) => m.some((x) => x.content === 'for all'));
    expect(received[0]!.items.map((m) => m.content)).toEqual(['for all']);
  });
});

describe('a channel hidden from a few, on resume', () => {
  it('replays nothing of it to them', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const hidden = members[0]!;
    const muted = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Muted' } });
    await owner.client.request(routes.roles.addToMember, { params: { guild_id: guild.id, user_id: hidden.userId as Snowflake, role_id: muted.id } });
    await owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: general.id, overwrite_id: muted.id }, body: { type: OverwriteType.ROLE, deny: bits('VIEW_CHANNEL') } });
    const other = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'other', type: ChannelType.GUILD_TEXT } });

    const first = await RawGateway.open(server.url);
    first.identify(hidden.client.token!);
    const sessionId = ((await first.dispatch('READY')).d as { session_id: string }).session_id;
    await owner.client.request(routes.messages.create, { params: { channel_id: other.id }, body: { content: 'seen' } });
    const seen = await first.next((f) => f.t === 'MESSAGE_CREATE');
    first.socket.terminate();

    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hidden' } });
    await owner.client.request(routes.messages.create, { params: { channel_id: other.id }, body: { content: 'missed' } });
    const second = await RawGateway.open(server.url);
    second.send({ op: GatewayOpcode.RESUME, d: { token: hidden.client.token, session_id: sessionId, seq: seen.s } });
    await second.dispatch('RESUMED');
    expect(second.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as { content: string }).content)).toEqual(['missed']);
    second.close();
  });
});

describe('timeouts', () => {
  it('a timed-out member reads but cannot send or react until it ends; admins and those above are out of reach', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [member, admin] = members as [(typeof members)[0], (typeof members)[0]];
    const params = { guild_id: guild.id, user_id: member.userId as Snowflake };
    const message = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'read me' } });
    const watcher = await server.connect(owner.client.token!);
    const updates = collect(watcher.gateway, 'GUILD_MEMBER_UPDATE');

    const until = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const timedOut = await owner.client.request(routes.moderation.updateMember, { params, body: { communication_disabled_until: until } });
    expect(Date.parse(timedOut.communication_disabled_until!)).toBe(Date.parse(until));
    await updates.until('the timeout', (e) => e.some((x) => x.user.id === member.userId && x.communication_disabled_until !== null));

    expect((await failure(member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'let me talk' } }))).code).toBe(50013);
    const react = member.client.request(routes.messages.addReaction, { params: { channel_id: general.id, message_id: message.id, emoji: '👍' } });
    expect((await failure(react)).code).toBe(50013);
    expect((await member.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.content)).toContain('read me');

    await owner.client.request(routes.moderation.updateMember, { params, body: { communication_disabled_until: null } });
    await member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'free again' } });

    // More than 28 days: refused. An administrator: refused.
    const tooLong = new Date(Date.now() + 29 * 24 * 60 * 60 * 1000).toISOString();
    expect((await failure(owner.client.request(routes.moderation.updateMember, { params, body: { communication_disabled_until: tooLong } }))).code).toBe(50035);
    const admins = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Admins', permissions: bits('ADMINISTRATOR') } });
    await owner.client.request(routes.roles.addToMember, { params: { guild_id: guild.id, user_id: admin.userId as Snowflake, role_id: admins.id } });
    expect(
      (await failure(owner.client.request(routes.moderation.updateMember, { params: { guild_id: guild.id, user_id: admin.userId as Snowflake }, body: { communication_disabled_until: until } }))).code,
    ).toBe(50013);
    // Without Moderate Members: refused.
    expect(
      (await failure(member.client.request(routes.moderation.updateMember, { params: { guild_id: guild.id, user_id: admin.userId as Snowflake }, body: { communication_disabled_until: until } })))
        .code,
    ).toBe(50013);
  });
});

describe('role mentions', () => {
  it('count when the role is mentionable or the sender may mention everyone', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const member = members[0]!;
    const quiet = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Quiet' } });
    const loud = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Loud', mentionable: true } });
    const fromMember = await member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@&${quiet.id}> <@&${loud.id}>` } });
    expect(fromMember.mention_roles).toEqual([loud.id]);
    const fromOwner = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@&${quiet.id}> <@&${loud.id}>` } });
    expect(fromOwner.mention_roles).toEqual([quiet.id, loud.id]);

    // Holding a mentioned role counts as being mentioned in READY's read states.
    await member.client.request(routes.messages.ack, { params: { channel_id: general.id, message_id: fromOwner.id } });
    await owner.client.request(routes.roles.addToMember, { params: { guild_id: guild.id, user_id: member.userId as Snowflake, role_id: loud.id } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@&${loud.id}> meeting` } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@&${quiet.id}> not you` } });
    const live = await server.connect(member.client.token!);
    expect(live.cache.readStates.get(general.id)).toMatchObject({ unread_count: 2, mention_count: 1 });
  });
});

describe('a channel created with overwrites', () => {
  it('is hidden from the start from those they hide, and refuses duplicates and unknown targets', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const member = members[0]!;
    const params = { guild_id: guild.id };
    const live = await server.connect(member.client.token!);
    const creates = collect(live.gateway, 'CHANNEL_CREATE');
    const role = await owner.client.request(routes.roles.create, { params, body: { name: 'Staff' } });
    const staff = await owner.client.request(routes.channels.create, {
      params,
      body: {
        name: 'staff',
        permission_overwrites: [
          { id: guild.id, type: OverwriteType.ROLE, deny: bits('VIEW_CHANNEL') },
          { id: role.id, type: OverwriteType.ROLE, allow: bits('VIEW_CHANNEL') },
        ],
      },
    });
    expect(staff.permission_overwrites).toHaveLength(2);
    const open = await owner.client.request(routes.channels.create, { params, body: { name: 'open' } });
    await creates.until('the open channel', (c) => c.some((x) => x.id === open.id));
    expect(creates.items.map((c) => c.id)).not.toContain(staff.id);

    const twice = owner.client.request(routes.channels.create, {
      params,
      body: {
        name: 'twice',
        permission_overwrites: [
          { id: role.id, type: OverwriteType.ROLE, allow: bits('VIEW_CHANNEL') },
          { id: role.id, type: OverwriteType.ROLE, deny: bits('VIEW_CHANNEL') },
        ],
      },
    });
    expect((await failure(twice)).code).toBe(50035);
    const unknown = owner.client.request(routes.channels.create, { params, body: { name: 'unknown', permission_overwrites: [{ id: '42' as Snowflake, type: OverwriteType.MEMBER }] } });
    expect((await failure(unknown)).code).toBe(50035);
    expect((await owner.client.request(routes.guilds.listChannels, { params })).map((c) => c.name)).not.toContain('twice');
  });
});
