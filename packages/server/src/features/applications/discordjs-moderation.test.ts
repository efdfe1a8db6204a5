import { AuditLogEvent, type Message, Permissions, type Snowflake, routes } from '@parley/protocol';
import { AuditLogEvent as DiscordAuditLogEvent, Client, Events, GatewayIntentBits, PermissionFlagsBits, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/**
 * A real discord.js v14 bot, unmodified, moderating a Parley server the way it would moderate a
 * Discord one: roles, overwrites, timeouts, kicks, bans with message deletion, unbans, bulk
 * deletes and the audit log; and the other members see each of its actions live.
 */
let server: TestServer;
let bot: Client | null = null;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(async () => {
  await bot?.destroy();
  await server.close();
});

describe('discord.js v14 moderation bot', () => {
  it('manages roles, overwrites, timeouts, kicks, bans, bulk deletes and reads the audit log, visibly to everyone', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { name: 'Moderated', members: 3 });
    const [watcher, troublemaker, spammer] = members as [Person, Person, Person];
    const application = await owner.client.request(routes.applications.create, { body: { name: 'Mod Bot' } });
    const { token, user: botUser } = await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
    const permissions =
      Permissions.VIEW_CHANNEL |
      Permissions.SEND_MESSAGES |
      Permissions.READ_MESSAGE_HISTORY |
      Permissions.MANAGE_ROLES |
      Permissions.MANAGE_CHANNELS |
      Permissions.MANAGE_MESSAGES |
      Permissions.KICK_MEMBERS |
      Permissions.BAN_MEMBERS |
      Permissions.MODERATE_MEMBERS |
      Permissions.VIEW_AUDIT_LOG;
    await owner.client.request(routes.applications.authorize, {
      query: { client_id: application.id, scope: 'bot' },
      body: { guild_id: guild.id, permissions: String(permissions), authorize: true },
    });

    bot = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers, GatewayIntentBits.GuildModeration, GatewayIntentBits.GuildMessages],
      rest: { api: `${server.url}/api` },
    });
    const ready = new Promise<void>((resolve) => bot!.once(Events.ClientReady, () => resolve()));
    await bot.login(token);
    await ready;
    const seen = bot.guilds.cache.get(guild.id)!;

    const watcherLive = await server.connect(watcher.client.token!);
    const ownerLive = await server.connect(owner.client.token!);
    const roleCreated = collect(watcherLive.gateway, 'GUILD_ROLE_CREATE');
    const roleUpdated = collect(watcherLive.gateway, 'GUILD_ROLE_UPDATE');
    const memberUpdated = collect(watcherLive.gateway, 'GUILD_MEMBER_UPDATE');
    const channelUpdated = collect(watcherLive.gateway, 'CHANNEL_UPDATE');
    const memberRemoved = collect(watcherLive.gateway, 'GUILD_MEMBER_REMOVE');
    const bulkDeleted = collect(watcherLive.gateway, 'MESSAGE_DELETE_BULK');
    const banned = collect(ownerLive.gateway, 'GUILD_BAN_ADD');
    const unbanned = collect(ownerLive.gateway, 'GUILD_BAN_REMOVE');

    // Roles: created, edited, given.
    const helpers = await seen.roles.create({ name: 'Helpers', permissions: [PermissionFlagsBits.ManageMessages], reason: 'new team' });
    expect((await roleCreated.until('Helpers', (events) => events.some((e) => e.role.id === helpers.id)))[0]!.role.name).toBe('Helpers');
    await helpers.edit({ name: 'Helpers+', mentionable: true });
    await roleUpdated.until('the rename', (events) => events.some((e) => e.role.id === helpers.id && e.role.name === 'Helpers+'));
    const watcherMember = await seen.members.fetch(watcher.userId);
    await watcherMember.roles.add(helpers, 'good work');
    await memberUpdated.until('the role given', (events) => events.some((e) => e.user.id === watcher.userId && e.roles.includes(helpers.id as Snowflake)));

    // An overwrite: the troublemaker may no longer send in #general.
    const channel = (await bot.channels.fetch(general.id)) as TextChannel;
    await channel.permissionOverwrites.edit(troublemaker.userId, { SendMessages: false }, { reason: 'cool down' });
    await channelUpdated.until('the overwrite', (events) => events.some((e) => e.id === general.id && (e.permission_overwrites ?? []).some((o) => o.id === troublemaker.userId)));
    const refused = await troublemaker.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'let me talk' } }).catch((e: { code: number }) => e);
    expect((refused as { code: number }).code).toBe(50013);

    // A timeout, then a kick.
    const troublemakerMember = await seen.members.fetch(troublemaker.userId);
    await troublemakerMember.timeout(60_000, 'calm down');
    await memberUpdated.until('the timeout', (events) => events.some((e) => e.user.id === troublemaker.userId && e.communication_disabled_until));
    await troublemakerMember.kick('enough');
    expect((await memberRemoved.until('the kick', (events) => events.some((e) => e.user.id === troublemaker.userId))).length).toBeGreaterThan(0);

    // A ban that deletes the spammer's recent messages, then its lifting.
    const spam: Message[] = [];
    for (let i = 0; i < 3; i++) spam.push(await spammer.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `spam ${i}` } }));
    await seen.members.ban(spammer.userId, { deleteMessageSeconds: 3600, reason: 'spam' });
    const deletion = await bulkDeleted.until('the spam deleted', (events) => events.some((e) => e.channel_id === general.id));
    expect([...deletion[0]!.ids].sort()).toEqual(spam.map((m) => m.id).sort());
    expect((await banned.count(1))[0]!.user.id).toBe(spammer.userId);
    const bans = await seen.bans.fetch();
    expect(bans.get(spammer.userId)?.reason).toBe('spam');
    await seen.members.unban(spammer.userId, 'second chance');
    expect((await unbanned.count(1))[0]!.user.id).toBe(spammer.userId);

    // A bulk delete of the watcher's messages.
    const chatter: Message[] = [];
    for (let i = 0; i < 3; i++) chatter.push(await watcher.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `chatter ${i}` } }));
    const deleted = await channel.bulkDelete(chatter.map((m) => m.id));
    expect([...deleted.keys()].sort()).toEqual(chatter.map((m) => m.id).sort());
    await bulkDeleted.until('the bulk delete', (events) => events.some((e) => e.ids.includes(chatter[0]!.id)));

    // The audit log, as discord.js reads it.
    const kicks = await seen.fetchAuditLogs({ type: DiscordAuditLogEvent.MemberKick });
    const kick = kicks.entries.first()!;
    expect([kick.executorId, kick.targetId, kick.reason]).toEqual([botUser.id, troublemaker.userId, 'enough']);
    const everything = await seen.fetchAuditLogs({ limit: 100 });
    const actions = new Set(everything.entries.map((e) => e.action as number));
    for (const action of [
      AuditLogEvent.ROLE_CREATE,
      AuditLogEvent.ROLE_UPDATE,
      AuditLogEvent.MEMBER_ROLE_UPDATE,
      AuditLogEvent.CHANNEL_OVERWRITE_CREATE,
      AuditLogEvent.MEMBER_UPDATE,
      AuditLogEvent.MEMBER_KICK,
      AuditLogEvent.MEMBER_BAN_ADD,
      AuditLogEvent.MEMBER_BAN_REMOVE,
      AuditLogEvent.MESSAGE_BULK_DELETE,
    ]) {
      expect(actions, `audit action ${action}`).toContain(action);
    }
  });
});
