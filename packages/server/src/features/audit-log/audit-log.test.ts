import { API_PREFIX, AuditLogEvent, ChannelType, Permissions, type Snowflake, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, failure, giveRole, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const bits = (...names: (keyof typeof Permissions)[]) => String(names.reduce((all, name) => all | Permissions[name], 0n));

describe('audit log', () => {
  it('records what moderators and administrators do, newest first, with reasons, filters and pages', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 3 });
    const [moderator, author, kicked] = members as [Person, Person, Person];
    const guildId = guild.id;
    await giveRole(owner, guildId, moderator, bits('KICK_MEMBERS', 'MANAGE_MESSAGES', 'VIEW_AUDIT_LOG'));
    const params = { guild_id: guildId };

    await owner.client.request(routes.guilds.update, { params, body: { name: 'Renamed' }, reason: 'Neuer Name – 新しい名前' });
    const news = await owner.client.request(routes.channels.create, { params, body: { name: 'news', type: ChannelType.GUILD_TEXT } });
    await owner.client.request(routes.channels.update, { params: { channel_id: news.id }, body: { topic: 'Announcements' } });
    await owner.client.request(routes.channels.delete, { params: { channel_id: news.id } });
    const message = await author.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'pin me' } });
    const doomed = await author.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'rude' } });
    await moderator.client.request(routes.messages.pin, { params: { channel_id: general.id, message_id: message.id } });
    await moderator.client.request(routes.messages.unpin, { params: { channel_id: general.id, message_id: message.id } });
    await moderator.client.request(routes.messages.delete, { params: { channel_id: general.id, message_id: doomed.id } });
    // Deleting your own message is not moderation: not recorded.
    const own = await author.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'oops' } });
    await author.client.request(routes.messages.delete, { params: { channel_id: general.id, message_id: own.id } });
    // A reason straight from a raw header: URL-encoded UTF-8, as Discord takes it.
    const kick = await fetch(`${server.url}${API_PREFIX}/guilds/${guildId}/members/${kicked.userId}`, {
      method: 'DELETE',
      headers: { authorization: moderator.client.token!, 'x-audit-log-reason': encodeURIComponent('Grund: Spam 🚫 100%') },
    });
    expect(kick.status).toBe(204);

    const log = await moderator.client.request(routes.auditLog.list, { params });
    const entries = log.audit_log_entries;
    expect(entries.map((e) => e.action_type)).toEqual([
      AuditLogEvent.MEMBER_KICK,
      AuditLogEvent.MESSAGE_DELETE,
      AuditLogEvent.MESSAGE_UNPIN,
      AuditLogEvent.MESSAGE_PIN,
      AuditLogEvent.CHANNEL_DELETE,
      AuditLogEvent.CHANNEL_UPDATE,
      AuditLogEvent.CHANNEL_CREATE,
      AuditLogEvent.GUILD_UPDATE,
      // Making the moderator one.
      AuditLogEvent.MEMBER_ROLE_UPDATE,
      AuditLogEvent.ROLE_CREATE,
    ]);
    const ids = entries.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
    expect(entries[0]).toMatchObject({ user_id: moderator.userId, target_id: kicked.userId, reason: 'Grund: Spam 🚫 100%' });
    expect(entries[1]).toMatchObject({ user_id: moderator.userId, target_id: author.userId, options: { channel_id: general.id, count: '1' } });
    expect(entries[1]!.reason).toBeUndefined();
    expect(entries[3]).toMatchObject({ target_id: author.userId, options: { channel_id: general.id, message_id: message.id } });
    expect(entries[4]).toMatchObject({
      user_id: owner.userId,
      target_id: news.id,
      changes: [
        { key: 'name', old_value: 'news' },
        { key: 'type', old_value: ChannelType.GUILD_TEXT },
      ],
    });
    expect(entries[5]).toMatchObject({ target_id: news.id, changes: [{ key: 'topic', old_value: null, new_value: 'Announcements' }] });
    expect(entries[6]).toMatchObject({
      target_id: news.id,
      changes: [
        { key: 'name', new_value: 'news' },
        { key: 'type', new_value: ChannelType.GUILD_TEXT },
      ],
    });
    expect(entries[7]).toMatchObject({ user_id: owner.userId, target_id: guildId, changes: [{ key: 'name', old_value: 'Test Server', new_value: 'Renamed' }], reason: 'Neuer Name – 新しい名前' });
    expect(log.users.map((u) => u.id).sort()).toEqual([owner.userId, moderator.userId, author.userId, kicked.userId].sort());
    expect(log).toMatchObject({ application_commands: [], integrations: [], threads: [], webhooks: [] });

    // Filters: who acted, which action.
    const byModerator = await owner.client.request(routes.auditLog.list, { params, query: { user_id: moderator.userId as Snowflake } });
    expect(byModerator.audit_log_entries.map((e) => e.id)).toEqual(entries.slice(0, 4).map((e) => e.id));
    expect(byModerator.users.map((u) => u.id).sort()).toEqual([moderator.userId, author.userId, kicked.userId].sort());
    const channelEdits = await owner.client.request(routes.auditLog.list, { params, query: { action_type: AuditLogEvent.CHANNEL_UPDATE } });
    expect(channelEdits.audit_log_entries.map((e) => e.id)).toEqual([entries[5]!.id]);
    // Pages: limit and before go back in time; after gives the entries just after one, still newest first.
    const page = (query: { limit?: number; before?: Snowflake; after?: Snowflake }) => owner.client.request(routes.auditLog.list, { params, query }).then((l) => l.audit_log_entries.map((e) => e.id));
    expect(await page({ limit: 3 })).toEqual(entries.slice(0, 3).map((e) => e.id));
    expect(await page({ limit: 3, before: entries[2]!.id })).toEqual(entries.slice(3, 6).map((e) => e.id));
    expect(await page({ limit: 2, after: entries[7]!.id })).toEqual([entries[5]!.id, entries[6]!.id]);
    expect(await page({ after: entries[1]!.id })).toEqual([entries[0]!.id]);
  });

  it('needs View Audit Log', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const refused = await failure(members[0]!.client.request(routes.auditLog.list, { params: { guild_id: guild.id } }));
    expect([refused.status, refused.code]).toEqual([403, 50013]);
    const outsider = (await makeGuild(server)).owner;
    expect((await failure(outsider.client.request(routes.auditLog.list, { params: { guild_id: guild.id } }))).code).toBe(10004);
    expect((await owner.client.request(routes.auditLog.list, { params: { guild_id: guild.id } })).audit_log_entries).toEqual([]);
  });
});
