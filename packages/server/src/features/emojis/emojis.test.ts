import { type Snowflake, reactionKeyOf, routes } from '@parley/protocol';
import { emojiRoutes } from '@parley/protocol/emojis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { failure, joinGuild, makeGuild, makeImage } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * A server's custom emoji: added with Manage Expressions, served from the CDN, carried in guild
 * payloads and GUILD_EMOJIS_UPDATE, used as reactions (`name:id`), renamed and deleted.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const dataUri = async (format: 'png' | 'gif' = 'png') => `data:image/${format};base64,${(await makeImage(format)).toString('base64')}`;

describe('custom emoji', () => {
  it('are added by those who may, served, announced, listed in guild payloads, and refused when bad', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const member = await joinGuild(server, owner, general.id);
    const live = await server.connect(member.client.token!);
    const updates = collect(live.gateway, 'GUILD_EMOJIS_UPDATE');

    const emoji = await owner.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'parley_wave', image: await dataUri() } });
    expect(emoji).toMatchObject({ name: 'parley_wave', animated: false, require_colons: true, available: true, roles: [], user: { id: owner.userId } });
    expect(emoji.image).toMatch(/^[0-9a-f]{32}$/);
    const [update] = await updates.count(1);
    expect(update).toMatchObject({ guild_id: guild.id, emojis: [{ id: emoji.id, name: 'parley_wave' }] });
    // The SDK's cache follows it (what clients draw the emoji picker from).
    expect(live.cache.guilds.get(guild.id)?.emojis.map((e) => e.name)).toEqual(['parley_wave']);
    const image = await fetch(`${server.url}/cdn/emojis/${emoji.id}/${emoji.image}.webp`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/webp');

    // In every guild payload: the REST guild, and GUILD_CREATE on a new connection.
    expect((await member.client.request(routes.guilds.get, { params: { guild_id: guild.id } })).emojis.map((e) => e.name)).toEqual(['parley_wave']);
    const fresh = await server.connect(member.client.token!);
    expect(fresh.cache.guilds.get(guild.id)?.emojis.map((e) => e.id)).toEqual([emoji.id]);
    expect((await member.client.request(emojiRoutes.list, { params: { guild_id: guild.id } })).map((e) => e.id)).toEqual([emoji.id]);

    // Who may, and what is refused.
    expect((await failure(member.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'mine', image: await dataUri() } }))).code).toBe(50013);
    const taken = await failure(owner.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'parley_wave', image: await dataUri() } }));
    expect(taken.fieldMessage('name')).toBe('This server already has an emoji called :parley_wave:');
    expect((await failure(owner.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'has space', image: await dataUri() } }))).status).toBe(400);
    const notImage = await failure(
      owner.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'fake', image: `data:image/png;base64,${Buffer.from('not an image').toString('base64')}` } }),
    );
    expect(notImage.code).toBe(50046);
    // A GIF is taken too (an animated one would stay animated, with an "a_" image hash).
    const animated = await owner.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'gif_one', image: await dataUri('gif') } });
    expect(animated.name).toBe('gif_one');
  });

  it('are reactions (`name:id`), follow a rename, and take their reactions with them when deleted', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const other = await makeGuild(server);
    const member = await joinGuild(server, owner, general.id);
    const emoji = await owner.client.request(emojiRoutes.create, { params: { guild_id: guild.id }, body: { name: 'party', image: await dataUri() } });
    const foreign = await other.owner.client.request(emojiRoutes.create, { params: { guild_id: other.guild.id }, body: { name: 'elsewhere', image: await dataUri() } });
    const message = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `hello <:party:${emoji.id}>` } });
    const live = await server.connect(owner.client.token!);
    const added = live.gateway.once('MESSAGE_REACTION_ADD');

    const react = (who: typeof owner, key: string) => who.client.request(routes.messages.addReaction, { params: { channel_id: general.id, message_id: message.id, emoji: key } });
    await react(member, `party:${emoji.id}`);
    expect((await added).emoji).toEqual({ id: emoji.id, name: 'party', animated: false });
    // The name in the key does not matter, the ID does: the same reaction.
    await react(owner, `whatever:${emoji.id}`);
    const [seen] = await owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(seen!.reactions).toEqual([expect.objectContaining({ count: 2, me: true, emoji: { id: emoji.id, name: 'party', animated: false } })]);
    expect(reactionKeyOf(seen!.reactions![0]!.emoji)).toBe(`party:${emoji.id}`);
    const who = await owner.client.request(routes.messages.listReactions, { params: { channel_id: general.id, message_id: message.id, emoji: `party:${emoji.id}` }, query: {} });
    expect(who.map((u) => u.id).sort()).toEqual([owner.userId, member.userId].sort());
    // Another server's emoji, or one that does not exist, is not a reaction here.
    expect((await failure(react(owner, `elsewhere:${foreign.id}`))).code).toBe(10014);
    expect((await failure(react(owner, 'nothing:123456789012345678'))).code).toBe(10014);

    // Renamed: reactions show the new name; removing one by its key works.
    await owner.client.request(emojiRoutes.update, { params: { guild_id: guild.id, emoji_id: emoji.id }, body: { name: 'celebrate' } });
    const [renamed] = await owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(renamed!.reactions![0]!.emoji.name).toBe('celebrate');
    await owner.client.request(routes.messages.removeOwnReaction, { params: { channel_id: general.id, message_id: message.id, emoji: `celebrate:${emoji.id}` } });

    // Deleted: gone from the server, its reactions with it, its image no longer served.
    await owner.client.request(emojiRoutes.delete, { params: { guild_id: guild.id, emoji_id: emoji.id } });
    const [after] = await owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(after!.reactions).toEqual([]);
    expect((await owner.client.request(emojiRoutes.list, { params: { guild_id: guild.id } })).length).toBe(0);
    expect((await fetch(`${server.url}/cdn/emojis/${emoji.id}/${emoji.image}.webp`)).status).toBe(404);
    expect((await failure(owner.client.request(emojiRoutes.get, { params: { guild_id: guild.id, emoji_id: emoji.id as Snowflake } }))).code).toBe(10014);
  });
});
