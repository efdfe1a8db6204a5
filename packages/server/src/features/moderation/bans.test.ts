import { AuditLogEvent, ChannelType, Permissions, SNOWFLAKE_EPOCH, type Snowflake, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, giveRole, makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const bits = (...names: (keyof typeof Permissions)[]) => String(names.reduce((all, name) => all | Permissions[name], 0n));

/** A message written `ageMs` ago, stored behind the API's back (the API only writes "now"). */
async function oldMessage(channelId: Snowflake, guildId: Snowflake, authorId: Snowflake, ageMs: number, content: string): Promise<Snowflake> {
  const id = String(((BigInt(Date.now() - ageMs) - SNOWFLAKE_EPOCH) << 22n) | 1n) as Snowflake;
  await server.db.database.db
    .insertInto('messages')
    .values({ id, channel_id: channelId, guild_id: guildId, author_id: authorId, content, reference_message_id: null, reference_channel_id: null, pinned_at: null, edited_at: null })
    .execute();
  return id;
}

describe('bans', () => {
  it('remove the member at once, delete exactly their recent messages live, keep them out of every invite until lifted', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 3 });
    const [target, moderator, bystander] = members as [Person, Person, Person];
    const guildId = guild.id;
    await giveRole(owner, guildId, moderator, bits('BAN_MEMBERS', 'VIEW_AUDIT_LOG'));
    const other = await owner.client.request(routes.channels.create, { params: { guild_id: guildId }, body: { name: 'other', type: ChannelType.GUILD_TEXT } });
    const say = (who: Person, channelId: Snowflake, content: string) => who.client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
    const recent = [await say(target, general.id, 'spam 1'), await say(target, general.id, 'spam 2'), await say(target, other.id, 'spam 3')];
    const kept = await say(bystander, general.id, 'innocent');
    const old = await oldMessage(general.id, guildId, target.userId as Snowflake, 2 * 86_400_000, 'two days ago');

    const targetLive = await server.connect(target.client.token!);
    const bystanderLive = await server.connect(bystander.client.token!);
    const ownerLive = await server.connect(owner.client.token!);
    const gone = collect(targetLive.gateway, 'GUILD_DELETE');
    const bulk = collect(bystanderLive.gateway, 'MESSAGE_DELETE_BULK');
    const removed = collect(bystanderLive.gateway, 'GUILD_MEMBER_REMOVE');
    const bystanderBans = collect(bystanderLive.gateway, 'GUILD_BAN_ADD');
    const ownerBans = collect(ownerLive.gateway, 'GUILD_BAN_ADD');
    const ownerUnbans = collect(ownerLive.gateway, 'GUILD_BAN_REMOVE');
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });

    await moderator.client.request(routes.moderation.ban, {
      params: { guild_id: guildId, user_id: target.userId as Snowflake },
      body: { delete_message_seconds: 86_400 },
      reason: 'Spam – スパム 100%',
    });

    expect((await gone.count(1))[0]!.id).toBe(guildId);
    expect(targetLive.cache.guilds.has(guildId)).toBe(false);
    expect((await removed.count(1))[0]!.user.id).toBe(target.userId);
    const deletions = await bulk.until('both channels cleaned', (events) => events.length >= 2);
    expect(deletions.map((e) => [e.channel_id, [...e.ids].sort()]).sort()).toEqual(
      [
        [general.id, [recent[0]!.id, recent[1]!.id].sort()],
        [other.id, [recent[2]!.id]],
      ].sort(),
    );
    expect((await ownerBans.count(1))[0]).toMatchObject({ guild_id: guildId, user: { id: target.userId } });
    // Only those holding Ban Members hear of bans: a later message reaches the bystander, the ban never did.
    const bystanderMessages = collect(bystanderLive.gateway, 'MESSAGE_CREATE');
    await say(owner, general.id, 'after the ban');
    await bystanderMessages.count(1);
    expect(bystanderBans.items).toEqual([]);

    // Exactly the recent ones went: the two-day-old one and everyone else's stay.
    const left = (await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.id);
    expect(left).toEqual(expect.arrayContaining([kept.id, old]));
    expect(left).not.toContain(recent[0]!.id);
    expect(await owner.client.request(routes.messages.list, { params: { channel_id: other.id } })).toEqual([]);

    // They are out and told why when they try to come back; the invite is not spent on them.
    expect((await failure(target.client.request(routes.messages.list, { params: { channel_id: general.id } }))).code).toBe(10003);
    // The invite page says so before they even try.
    expect((await failure(target.client.request(routes.invites.get, { params: { code: invite.code } }))).code).toBe(40007);
    expect((await server.client().request(routes.invites.get, { params: { code: invite.code } })).guild.id).toBe(guildId);
    const refused = await failure(target.client.request(routes.invites.accept, { params: { code: invite.code } }));
    expect([refused.status, refused.code, refused.message]).toEqual([403, 40007, 'You are banned from this server.']);
    expect((await owner.client.request(routes.invites.listGuild, { params: { guild_id: guildId } })).find((i) => i.code === invite.code)?.uses).toBe(0);

    const ban = { reason: 'Spam – スパム 100%', user: expect.objectContaining({ id: target.userId }) };
    expect(await moderator.client.request(routes.moderation.getBan, { params: { guild_id: guildId, user_id: target.userId as Snowflake } })).toEqual(ban);
    expect(await moderator.client.request(routes.moderation.listBans, { params: { guild_id: guildId } })).toEqual([ban]);
    const log = await moderator.client.request(routes.auditLog.list, { params: { guild_id: guildId }, query: { action_type: AuditLogEvent.MEMBER_BAN_ADD } });
    expect(log.audit_log_entries).toEqual([expect.objectContaining({ user_id: moderator.userId, target_id: target.userId, reason: 'Spam – スパム 100%' })]);
    expect(log.users.map((u) => u.id).sort()).toEqual([moderator.userId, target.userId].sort());

    // Lifting it: moderators hear, the log records it, and an invite works again.
    await moderator.client.request(routes.moderation.unban, { params: { guild_id: guildId, user_id: target.userId as Snowflake } });
    expect((await ownerUnbans.count(1))[0]).toMatchObject({ guild_id: guildId, user: { id: target.userId } });
    expect((await failure(moderator.client.request(routes.moderation.getBan, { params: { guild_id: guildId, user_id: target.userId as Snowflake } }))).code).toBe(10026);
    expect((await failure(moderator.client.request(routes.moderation.unban, { params: { guild_id: guildId, user_id: target.userId as Snowflake } }))).code).toBe(10026);
    const back = collect(targetLive.gateway, 'GUILD_CREATE');
    await target.client.request(routes.invites.accept, { params: { code: invite.code } });
    expect((await back.count(1))[0]!.id).toBe(guildId);
    const unbanLog = await owner.client.request(routes.auditLog.list, { params: { guild_id: guildId }, query: { action_type: AuditLogEvent.MEMBER_BAN_REMOVE } });
    expect(unbanLog.audit_log_entries).toEqual([expect.objectContaining({ user_id: moderator.userId, target_id: target.userId })]);
  });

  it('need Ban Members and standing above the member; a refusal changes nothing', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 4 });
    const [moderator, peer, plain, target] = members as [Person, Person, Person, Person];
    const guildId = guild.id;
    const mods = await giveRole(owner, guildId, moderator, bits('BAN_MEMBERS'));
    await owner.client.request(routes.roles.addToMember, { params: { guild_id: guildId, user_id: peer.userId as Snowflake, role_id: mods.id } });
    const ban = (by: Person, userId: string) => by.client.request(routes.moderation.ban, { params: { guild_id: guildId, user_id: userId as Snowflake }, body: {} });

    const refusals = [
      [failure(ban(plain, target.userId)), 50013], // no Ban Members
      [failure(ban(moderator, owner.userId)), 50013], // the owner
      [failure(ban(moderator, moderator.userId)), 50013], // themselves
      [failure(ban(moderator, peer.userId)), 50013], // same highest role
      [failure(ban(owner, owner.userId)), 50013],
      [failure(ban(moderator, '1')), 10013], // nobody
      [failure(plain.client.request(routes.moderation.listBans, { params: { guild_id: guildId } })), 50013],
      [failure(plain.client.request(routes.moderation.unban, { params: { guild_id: guildId, user_id: target.userId as Snowflake } })), 50013],
    ] as const;
    // Sent together (each caught at once), checked one by one.
    for (const [attempt, code] of refusals) expect((await attempt).code).toBe(code);
    const everyone = (await owner.client.request(routes.guilds.listMembers, { params: { guild_id: guildId }, query: { limit: 100 } })).map((m) => m.user.id);
    expect(everyone.sort()).toEqual([owner.userId, moderator.userId, peer.userId, plain.userId, target.userId].sort());
    expect(await owner.client.request(routes.moderation.listBans, { params: { guild_id: guildId } })).toEqual([]);
    expect((await owner.client.request(routes.auditLog.list, { params: { guild_id: guildId }, query: { action_type: AuditLogEvent.MEMBER_BAN_ADD } })).audit_log_entries).toEqual([]);

    // Someone who never joined may be banned ahead of time, and then cannot join.
    const stranger = await signUp(server);
    await ban(moderator, stranger.userId);
    const invite = await owner.client.request(routes.invites.create, {
      params: { channel_id: (await owner.client.request(routes.guilds.listChannels, { params: { guild_id: guildId } }))[0]!.id },
      body: {},
    });
    expect((await failure(stranger.client.request(routes.invites.accept, { params: { code: invite.code } }))).code).toBe(40007);
    // A banned bot cannot be added back either.
    const application = await owner.client.request(routes.applications.create, { body: { name: 'Spam Bot' } });
    const { user: botUser } = await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
    const authorize = () => owner.client.request(routes.applications.authorize, { query: { client_id: application.id, scope: 'bot' }, body: { guild_id: guildId, permissions: '0', authorize: true } });
    await authorize();
    await ban(moderator, botUser.id);
    expect((await failure(authorize())).code).toBe(40007);
    expect((await owner.client.request(routes.guilds.listMembers, { params: { guild_id: guildId }, query: { limit: 100 } })).map((m) => m.user.id)).not.toContain(botUser.id);
    await owner.client.request(routes.moderation.unban, { params: { guild_id: guildId, user_id: botUser.id as Snowflake } });
    await authorize();
    // The owner stands above everyone, even a fellow moderator.
    await ban(owner, peer.userId);
    // Pages by user ID.
    const all = await owner.client.request(routes.moderation.listBans, { params: { guild_id: guildId } });
    expect(all.map((b) => b.user.id)).toEqual([stranger.userId, peer.userId].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    const [first, second] = all as [(typeof all)[0], (typeof all)[0]];
    expect((await owner.client.request(routes.moderation.listBans, { params: { guild_id: guildId }, query: { after: first.user.id } })).map((b) => b.user.id)).toEqual([second.user.id]);
    expect((await owner.client.request(routes.moderation.listBans, { params: { guild_id: guildId }, query: { before: second.user.id } })).map((b) => b.user.id)).toEqual([first.user.id]);
    expect((await owner.client.request(routes.moderation.listBans, { params: { guild_id: guildId }, query: { limit: 1 } })).map((b) => b.user.id)).toEqual([first.user.id]);
  });
});
