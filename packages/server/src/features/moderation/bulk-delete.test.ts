import fs from 'node:fs/promises';
import path from 'node:path';
import { AuditLogEvent, ChannelType, Permissions, SNOWFLAKE_EPOCH, type Snowflake, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, giveRole, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const bits = (...names: (keyof typeof Permissions)[]) => String(names.reduce((all, name) => all | Permissions[name], 0n));

/** A message written `ageMs` ago, stored behind the API's back (the API only writes "now"). */
async function oldMessage(channelId: Snowflake, guildId: Snowflake, authorId: Snowflake, ageMs: number): Promise<Snowflake> {
  const id = String(((BigInt(Date.now() - ageMs) - SNOWFLAKE_EPOCH) << 22n) | 1n) as Snowflake;
  await server.db.database.db
    .insertInto('messages')
    .values({ id, channel_id: channelId, guild_id: guildId, author_id: authorId, content: 'old', reference_message_id: null, reference_channel_id: null, pinned_at: null, edited_at: null })
    .execute();
  return id;
}

describe('bulk delete', () => {
  it('deletes 2 to 100 messages of one channel with Manage Messages: one MESSAGE_DELETE_BULK, files gone, the count in the audit log', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [cleaner, watcher] = members as [Person, Person];
    await giveRole(owner, guild.id, cleaner, bits('MANAGE_MESSAGES'), 'Cleaners');
    const other = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'other', type: ChannelType.GUILD_TEXT } });
    const say = (who: Person, channelId: Snowflake, content: string) => who.client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
    const a = await say(watcher, general.id, 'a');
    const withFile = await watcher.client.request(routes.messages.create, {
      params: { channel_id: general.id },
      body: { content: 'file' },
      files: [new File(['bytes\n'], 'notes.txt', { type: 'text/plain' })],
    });
    const keep = await say(watcher, general.id, 'keep');
    const elsewhere = await say(watcher, other.id, 'elsewhere');
    const stored = path.join(server.db.dataDir, 'files', 'attachments', general.id, withFile.attachments[0]!.id);
    await fs.access(stored);

    const live = await server.connect(watcher.client.token!);
    const bulk = collect(live.gateway, 'MESSAGE_DELETE_BULK');
    const single = collect(live.gateway, 'MESSAGE_DELETE');
    // Another channel's message is not this channel's to delete: ignored, like an unknown (recent) ID.
    const unknown = String(((BigInt(Date.now()) - SNOWFLAKE_EPOCH) << 22n) | 4_000_000n) as Snowflake;
    await cleaner.client.request(routes.moderation.bulkDelete, { params: { channel_id: general.id }, body: { messages: [a.id, withFile.id, elsewhere.id, unknown] }, reason: 'clean-up' });
    const [event] = await bulk.count(1);
    expect(event).toEqual({ channel_id: general.id, guild_id: guild.id, ids: expect.arrayContaining([a.id, withFile.id]) });
    expect(event!.ids).toHaveLength(2);
    expect(single.items).toEqual([]);
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.id)).toEqual(expect.arrayContaining([keep.id]));
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.id)).not.toContain(a.id);
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: other.id } })).map((m) => m.id)).toEqual([elsewhere.id]);
    await expect(fs.access(stored)).rejects.toThrow();
    const log = await owner.client.request(routes.auditLog.list, { params: { guild_id: guild.id }, query: { action_type: AuditLogEvent.MESSAGE_BULK_DELETE } });
    expect(log.audit_log_entries).toEqual([expect.objectContaining({ user_id: cleaner.userId, target_id: general.id, options: { count: '2' }, reason: 'clean-up' })]);
  });

  it('refuses messages older than 14 days (50034), duplicates, the wrong count and those without Manage Messages, deleting nothing', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const [plain] = members as [Person];
    const say = (content: string) => plain.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content } });
    const fresh = [await say('one'), await say('two')].map((m) => m.id);
    const old = await oldMessage(general.id, guild.id, plain.userId as Snowflake, 15 * 86_400_000);
    const all = async () => (await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.id).sort();
    const before = await all();
    const bulk = (by: Person, messages: Snowflake[]) => by.client.request(routes.moderation.bulkDelete, { params: { channel_id: general.id }, body: { messages } });

    const tooOld = await failure(bulk(owner, [...fresh, old]));
    expect([tooOld.status, tooOld.code]).toEqual([400, 50034]);
    const twice = await failure(bulk(owner, [fresh[0]!, fresh[0]!]));
    expect(twice.code).toBe(50035);
    expect(twice.problems.map((p) => p.path.join('.'))).toEqual(['messages.1']);
    expect((await failure(bulk(owner, [fresh[0]!]))).code).toBe(50035);
    expect(
      (
        await failure(
          bulk(
            owner,
            Array.from({ length: 101 }, (_, i) => String(BigInt(fresh[0]!) + BigInt(i)) as Snowflake),
          ),
        )
      ).code,
    ).toBe(50035);
    expect((await failure(bulk(plain, fresh))).code).toBe(50013);
    // In a DM nobody holds Manage Messages.
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: plain.userId as Snowflake } });
    expect((await failure(owner.client.request(routes.moderation.bulkDelete, { params: { channel_id: dm.id }, body: { messages: fresh } }))).code).toBe(50013);
    expect(await all()).toEqual(before);
    expect((await owner.client.request(routes.auditLog.list, { params: { guild_id: guild.id }, query: { action_type: AuditLogEvent.MESSAGE_BULK_DELETE } })).audit_log_entries).toEqual([]);
  });
});
