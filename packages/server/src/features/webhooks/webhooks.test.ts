import { ChannelType, type Message, Permissions, type Snowflake, routes } from '@parley/protocol';
import { type Webhook, webhookRoutes } from '@parley/protocol/webhooks';
import { EmbedBuilder, WebhookClient } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, giveRole, joinGuild, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * Incoming webhooks: made per channel by members with Manage Webhooks, used by anyone holding
 * the URL (raw HTTP, and discord.js's WebhookClient, a client nobody here wrote), revoked at once.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** POST to a webhook's URL as any tool would: plain HTTP, no account. */
const post = (hook: Pick<Webhook, 'id' | 'token'>, body: unknown, wait = true) =>
  fetch(`${server.url}/api/v10/webhooks/${hook.id}/${hook.token}${wait ? '?wait=true' : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('incoming webhooks', () => {
  it('are made and managed with Manage Webhooks, show their token once, and post as themselves with embeds', async () => {
    const { owner, guild, general } = await makeGuild(server, { name: 'Ops' });
    const member = await joinGuild(server, owner, general.id);
    const hook = await owner.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'CI' } });
    expect(hook).toMatchObject({ type: 1, guild_id: guild.id, channel_id: general.id, name: 'CI', avatar: null, application_id: null, user: { id: owner.userId } });
    expect(hook.token).toMatch(/^[\w-]{68}$/);
    expect(hook.url).toMatch(new RegExp(`/api/v10/webhooks/${hook.id}/${hook.token}$`));
    // Managers list it without its token; members without the permission cannot.
    const [listed] = await owner.client.request(webhookRoutes.listChannel, { params: { channel_id: general.id } });
    expect(listed).toMatchObject({ id: hook.id, name: 'CI', user: { id: owner.userId } });
    expect(listed!.token).toBeUndefined();
    expect((await owner.client.request(webhookRoutes.listGuild, { params: { guild_id: guild.id } })).map((w) => w.id)).toEqual([hook.id]);
    expect((await failure(member.client.request(webhookRoutes.listChannel, { params: { channel_id: general.id } }))).code).toBe(50013);
    expect((await failure(member.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'Mine' } }))).code).toBe(50013);
    expect((await failure(member.client.request(webhookRoutes.get, { params: { webhook_id: hook.id } }))).code).toBe(50013);
    expect((await failure(owner.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'Discord Bot' } }))).status).toBe(400);

    // Posted by URL: the message is the webhook's, under the name the post gives, with its embeds; members see it live.
    const live = await server.connect(member.client.token!);
    const arrived = live.gateway.once('MESSAGE_CREATE', (m) => m.webhook_id === hook.id);
    const response = await post(hook, {
      content: 'Build #42 passed',
      username: 'Build bot',
      embeds: [{ title: 'main @ 1a2b3c', url: 'https://ci.example.org/42', description: 'All **1,078** tests passed', color: 0x2ecc71, fields: [{ name: 'Duration', value: '9 min', inline: true }] }],
    });
    expect(response.status).toBe(200);
    const sent = (await response.json()) as Message;
    expect(sent).toMatchObject({ content: 'Build #42 passed', webhook_id: hook.id, author: { id: hook.id, username: 'Build bot', bot: true } });
    expect(sent.embeds).toEqual([
      {
        type: 'rich',
        title: 'main @ 1a2b3c',
        url: 'https://ci.example.org/42',
        description: 'All **1,078** tests passed',
        color: 0x2ecc71,
        fields: [{ name: 'Duration', value: '9 min', inline: true }],
      },
    ]);
    expect((await arrived).embeds[0]?.title).toBe('main @ 1a2b3c');
    const [stored] = await member.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(stored).toMatchObject({ id: sent.id, webhook_id: hook.id, author: { username: 'Build bot' }, embeds: sent.embeds });
    // Without ?wait, Discord's 204; the webhook's own name when none is given.
    expect((await post(hook, { content: 'quietly' }, false)).status).toBe(204);
    const [quiet] = await member.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(quiet!.author.username).toBe('CI');

    // Renamed, then read with its token (no account): the token, not the maker.
    await owner.client.request(webhookRoutes.update, { params: { webhook_id: hook.id }, body: { name: 'Deploys' } });
    const byToken = await server.client().request(webhookRoutes.getWithToken, { params: { webhook_id: hook.id, webhook_token: hook.token! } });
    expect(byToken).toMatchObject({ name: 'Deploys', token: hook.token });
    expect(byToken.user).toBeUndefined();
    const log = await owner.client.request(routes.auditLog.list, { params: { guild_id: guild.id }, query: {} });
    expect(log.audit_log_entries.filter((e) => e.target_id === hook.id).map((e) => e.action_type)).toEqual([51, 50]);
  });

  it("work with discord.js's WebhookClient: content, a username and embeds built with EmbedBuilder, edited and deleted", async () => {
    const { owner, general } = await makeGuild(server);
    const hook = await owner.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'Alerts' } });
    const client = new WebhookClient({ id: hook.id, token: hook.token! }, { rest: { api: `${server.url}/api` } });
    try {
      const embed = new EmbedBuilder()
        .setTitle('Disk almost full')
        .setDescription('/var is at 91 %')
        .setColor(0xe67e22)
        .addFields({ name: 'Host', value: 'db-1', inline: true })
        .setTimestamp(new Date('2026-12-05T10:00:00Z'));
      const sent = await client.send({ content: 'Heads up', username: 'Monitoring', embeds: [embed] });
      expect(sent).toMatchObject({ content: 'Heads up', webhook_id: hook.id, author: { username: 'Monitoring' } });
      const [stored] = await owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
      expect(stored!.embeds).toEqual([
        { type: 'rich', title: 'Disk almost full', description: '/var is at 91 %', color: 0xe67e22, fields: [{ name: 'Host', value: 'db-1', inline: true }], timestamp: '2026-12-05T10:00:00.000Z' },
      ]);
      const fetched = await client.fetchMessage(sent.id);
      expect(fetched.embeds[0]?.title).toBe('Disk almost full');
      // The status message is edited as things change, then taken down.
      const edited = await client.editMessage(sent.id, { content: 'Resolved', embeds: [] });
      expect(edited).toMatchObject({ content: 'Resolved', embeds: [] });
      expect(edited.edited_timestamp).not.toBeNull();
      await client.deleteMessage(sent.id);
      expect((await failure(owner.client.request(routes.messages.get, { params: { channel_id: general.id, message_id: sent.id as Snowflake } }))).code).toBe(10008);
    } finally {
      client.destroy();
    }
  });

  it('refuse bad posts with clear errors, posts beyond the budget with 429, and stop at once when deleted', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const hook = await owner.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'Hook' } });
    const codeOf = async (response: Response) => ({ status: response.status, ...((await response.json()) as { code: number; message: string }) });
    expect(await codeOf(await post(hook, {}))).toMatchObject({ status: 400, code: 50035, message: expect.stringContaining('content') });
    expect(await codeOf(await post(hook, { embeds: Array.from({ length: 11 }, () => ({ title: 'x' })) }))).toMatchObject({ status: 400, code: 50035 });
    expect(await codeOf(await post(hook, { embeds: [{ description: 'x'.repeat(4096) }, { description: 'y'.repeat(2000) }] }))).toMatchObject({
      status: 400,
      code: 50035,
      message: expect.stringContaining('6000'),
    });
    expect(await codeOf(await post(hook, { embeds: [{ title: 'x', url: 'javascript:alert(1)' }] }))).toMatchObject({ status: 400, code: 50035, message: expect.stringContaining('http(s) URL') });
    expect(await codeOf(await post({ id: hook.id, token: 'x'.repeat(68) }, { content: 'hi' }))).toMatchObject({ status: 401, code: 50027 });
    expect(await codeOf(await post({ id: '123456789012345678' as Snowflake, token: hook.token }, { content: 'hi' }))).toMatchObject({ status: 404, code: 10015 });

    // Five posts every two seconds: a burst of twenty meets 429s with a retry_after (bounded: twenty requests).
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => post(hook, { content: `burst ${i}` }, false)));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(((await limited[0]!.json()) as { retry_after: number }).retry_after).toBeGreaterThan(0);

    // Never into an encrypted channel (the server would read its text), nor into a private one its maker is not in.
    const sealed = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'sealed', type: ChannelType.GUILD_TEXT, private: true, e2ee: true } });
    expect((await failure(owner.client.request(webhookRoutes.create, { params: { channel_id: sealed.id }, body: { name: 'Leak' } }))).code).toBe(90075);
    const vault = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'vault', type: ChannelType.GUILD_TEXT, private: true } });
    const manager = await joinGuild(server, owner, general.id);
    await giveRole(owner, guild.id, manager, String(Permissions.MANAGE_WEBHOOKS), 'Integrations');
    expect((await manager.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'Allowed' } })).name).toBe('Allowed');
    expect((await failure(manager.client.request(webhookRoutes.create, { params: { channel_id: vault.id }, body: { name: 'Snoop' } }))).code).toBe(50013);

    // Deleted: its URL stops at once; deleting by token works too.
    await owner.client.request(webhookRoutes.delete, { params: { webhook_id: hook.id } });
    expect(await codeOf(await post(hook, { content: 'still here?' }))).toMatchObject({ status: 404, code: 10015 });
    const other = await owner.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'Other' } });
    expect((await fetch(`${server.url}/api/v10/webhooks/${other.id}/${other.token}`, { method: 'DELETE' })).status).toBe(204);
    expect((await post(other, { content: 'gone' })).status).toBe(404);
  });
});
