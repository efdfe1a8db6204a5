import { ChannelType, Intents, MessageNotificationLevel, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeGuild, signUp } from '../../testing/fixtures';
import { RawGateway } from '../../testing/raw-gateway';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const { ALL_MESSAGES, ONLY_MENTIONS, NO_MESSAGES, INHERIT } = MessageNotificationLevel;

describe('notification settings', () => {
  it('start at the default, are saved per server and channel, reach the other sessions and come back in READY', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const first = await server.connect(owner.client.token!);
    expect(first.cache.guildSettings.has(guild.id)).toBe(false);

    const other = await server.connect(owner.client.token!);
    const heard = other.gateway.once('USER_GUILD_SETTINGS_UPDATE');
    const saved = await owner.client.request(routes.notifications.updateGuildSettings, {
      params: { guild_id: guild.id },
      body: { message_notifications: ALL_MESSAGES, channel_overrides: [{ channel_id: general.id, message_notifications: NO_MESSAGES }] },
    });
    const expected = {
      guild_id: guild.id,
      message_notifications: ALL_MESSAGES,
      muted: false,
      channel_overrides: [{ channel_id: general.id, message_notifications: NO_MESSAGES, muted: false }],
    };
    expect(saved).toEqual(expected);
    expect(await heard).toEqual(expected);
    expect(other.cache.guildSettings.get(guild.id)).toEqual(expected);

    // Partial updates keep what they do not name.
    const muted = await owner.client.request(routes.notifications.updateGuildSettings, { params: { guild_id: guild.id }, body: { muted: true } });
    expect(muted).toEqual({ ...expected, muted: true });
    const channelMuted = await owner.client.request(routes.notifications.updateGuildSettings, {
      params: { guild_id: guild.id },
      body: { channel_overrides: [{ channel_id: general.id, muted: true }] },
    });
    expect(channelMuted.channel_overrides).toEqual([{ channel_id: general.id, message_notifications: NO_MESSAGES, muted: true }]);

    const later = await server.connect(owner.client.token!);
    expect(later.cache.guildSettings.get(guild.id)).toEqual(channelMuted);
  });

  it('drop a channel override that is back to following the server', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const params = { guild_id: guild.id };
    await owner.client.request(routes.notifications.updateGuildSettings, { params, body: { channel_overrides: [{ channel_id: general.id, message_notifications: ALL_MESSAGES }] } });
    const back = await owner.client.request(routes.notifications.updateGuildSettings, { params, body: { channel_overrides: [{ channel_id: general.id, message_notifications: INHERIT }] } });
    expect(back).toEqual({ guild_id: guild.id, message_notifications: ONLY_MENTIONS, muted: false, channel_overrides: [] });
    const rows = await server.db.database.db.selectFrom('channel_notification_settings').selectAll().where('channel_id', '=', general.id).execute();
    expect(rows).toEqual([]);
  });

  it('are only for servers you are in and channels of that server, and go with a deleted channel', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const elsewhere = await makeGuild(server);
    const stranger = await signUp(server);
    const params = { guild_id: guild.id };
    expect((await failure(stranger.client.request(routes.notifications.updateGuildSettings, { params, body: { muted: true } }))).code).toBe(10004);
    const foreign = { channel_overrides: [{ channel_id: elsewhere.general.id, message_notifications: ALL_MESSAGES }] };
    expect((await failure(owner.client.request(routes.notifications.updateGuildSettings, { params, body: foreign }))).code).toBe(10003);
    const badLevel = await failure(owner.client.request(routes.notifications.updateGuildSettings, { params, body: { message_notifications: INHERIT as never } }));
    expect(badLevel.code).toBe(50035);
    expect(badLevel.problems[0]?.path).toEqual(['message_notifications']);

    const extra = await owner.client.request(routes.channels.create, { params, body: { name: 'noisy', type: ChannelType.GUILD_TEXT } });
    await owner.client.request(routes.notifications.updateGuildSettings, {
      params,
      body: {
        channel_overrides: [
          { channel_id: extra.id, muted: true },
          { channel_id: general.id, message_notifications: ALL_MESSAGES },
        ],
      },
    });
    await owner.client.request(routes.channels.delete, { params: { channel_id: extra.id } });
    const live = await server.connect(owner.client.token!);
    expect(live.cache.guildSettings.get(guild.id)?.channel_overrides).toEqual([{ channel_id: general.id, message_notifications: ALL_MESSAGES, muted: false }]);
  });

  it('are for people: bots can neither set them nor get them in READY', async () => {
    const owner = await signUp(server);
    const application = await owner.client.request(routes.applications.create, { body: { name: 'Quiet bot' } });
    const { token } = await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
    const { guild } = await makeGuild(server);
    const bot = new RestClient({ baseUrl: server.url, token: `Bot ${token}` });
    expect((await failure(bot.request(routes.notifications.updateGuildSettings, { params: { guild_id: guild.id }, body: { muted: true } }))).status).toBe(403);

    const gateway = await RawGateway.open(server.url);
    gateway.identify(token, { intents: Intents.GUILDS });
    const ready = await gateway.next((frame) => frame.t === 'READY');
    expect(ready.d).not.toHaveProperty('user_guild_settings');
    gateway.socket.close();
  });
});
