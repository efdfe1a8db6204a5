import { type Message as ParleyMessage, Permissions, routes } from '@parley/protocol';
import { Client, Events, GatewayIntentBits, type Message, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/**
 * A real discord.js v14 bot, unmodified, pointed at Parley with `rest.api`: the proof that bot
 * libraries written for Discord work here.
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

describe('discord.js v14 bot', () => {
  it('logs in, sees its server, answers, edits, reacts, deletes, and survives a forced reconnect', async () => {
    const { owner, guild, general } = await makeGuild(server, { name: 'Bot Playground' });
    const application = await owner.client.request(routes.applications.create, { body: { name: 'Echo Bot' } });
    const { token, user: botUser } = await owner.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: owner.password } });
    expect(botUser.bot).toBe(true);
    const permissions = Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES | Permissions.READ_MESSAGE_HISTORY | Permissions.ADD_REACTIONS;
    await owner.client.request(routes.applications.authorize, {
      query: { client_id: application.id, scope: 'bot' },
      body: { guild_id: guild.id, permissions: String(permissions), authorize: true },
    });

    bot = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.GuildMessageReactions],
      rest: { api: `${server.url}/api` },
    });
    bot.on(Events.MessageCreate, (message: Message) => {
      if (message.content === '!ping') void message.reply('pong');
    });
    const ready = new Promise<void>((resolve) => bot!.once(Events.ClientReady, () => resolve()));
    await bot.login(token);
    await ready;

    // It sees the server, its channels, and itself.
    expect(bot.user?.id).toBe(botUser.id);
    const seenGuild = bot.guilds.cache.get(guild.id)!;
    expect(seenGuild.name).toBe('Bot Playground');
    expect(seenGuild.channels.cache.get(general.id)?.name).toBe('general');

    const ownerLive = await server.connect(owner.client.token!);
    const fromBot = (test: (m: ParleyMessage) => boolean) => ownerLive.gateway.once('MESSAGE_CREATE', (m) => m.author.id === botUser.id && test(m));

    // It receives a message and replies to it.
    const reply = fromBot((m) => m.content === 'pong');
    const ping = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '!ping' } });
    expect((await reply).message_reference?.message_id).toBe(ping.id);

    // It sends, edits, reacts and deletes through its own REST calls.
    const channel = (await bot.channels.fetch(general.id)) as TextChannel;
    const sent = await channel.send('hello from discord.js');
    const edited = ownerLive.gateway.once('MESSAGE_UPDATE', (m) => m.id === sent.id);
    await sent.edit('edited by discord.js');
    expect((await edited).content).toBe('edited by discord.js');
    const reacted = ownerLive.gateway.once('MESSAGE_REACTION_ADD', (r) => r.message_id === sent.id);
    await sent.react('🎉');
    expect((await reacted).emoji.name).toBe('🎉');
    const deleted = ownerLive.gateway.once('MESSAGE_DELETE', (d) => d.id === sent.id);
    await sent.delete();
    await deleted;

    // The server tells it to reconnect (as on a restart); it resumes and keeps answering.
    const resumed = new Promise<void>((resolve) => bot!.once(Events.ShardResume, () => resolve()));
    server.app.gateway.reconnectUser(botUser.id);
    await resumed;
    const secondReply = fromBot((m) => m.content === 'pong');
    const again = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '!ping' } });
    expect((await secondReply).message_reference?.message_id).toBe(again.id);
  });
});
