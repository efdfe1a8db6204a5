import { ChannelType, type DispatchName, routes } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, joinGuild, makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Every dispatch a client receives, by name, from now on. */
function record(client: ParleyClient, names: DispatchName[]) {
  const seen: { t: DispatchName; d: unknown }[] = [];
  for (const t of names) client.gateway.on(t, (d) => seen.push({ t, d }));
  return seen;
}

describe('guild channels', () => {
  it('creates, renames, moves and deletes channels with Manage Channels only', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const memberLive = await server.connect(members[0]!.client.token!);
    const created = memberLive.gateway.once('CHANNEL_CREATE');
    const category = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Projects', type: ChannelType.GUILD_CATEGORY } });
    const text = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Road Map', parent_id: category.id, topic: 'plans' } });
    expect((await created).id).toBe(category.id);
    expect(text).toMatchObject({ name: 'road-map', parent_id: category.id, topic: 'plans', position: 0, private: false });
    const voice = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Hangout', type: ChannelType.GUILD_VOICE } });
    expect(voice).toMatchObject({ type: 2, bitrate: 64000, user_limit: 0 });

    const updated = memberLive.gateway.once('CHANNEL_UPDATE');
    await owner.client.request(routes.channels.update, { params: { channel_id: text.id }, body: { name: 'roadmap' } });
    expect((await updated).name).toBe('roadmap');
    await owner.client.request(routes.channels.reorder, { params: { guild_id: guild.id }, body: [{ id: general.id, position: 5, parent_id: category.id }] });
    expect((await owner.client.request(routes.channels.get, { params: { channel_id: general.id } })).parent_id).toBe(category.id);

    for (const attempt of [
      () => members[0]!.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'mine' } }),
      () => members[0]!.client.request(routes.channels.update, { params: { channel_id: text.id }, body: { name: 'hacked' } }),
      () => members[0]!.client.request(routes.channels.delete, { params: { channel_id: text.id } }),
    ]) {
      expect((await failure(attempt())).code).toBe(50013);
    }
    const badParent = await failure(owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'x', parent_id: general.id } }));
    expect(badParent.problems[0]?.path).toEqual(['parent_id']);

    const deleted = memberLive.gateway.once('CHANNEL_DELETE');
    await owner.client.request(routes.channels.delete, { params: { channel_id: category.id } });
    expect((await deleted).id).toBe(category.id);
    // Its channels stay, uncategorised.
    expect((await owner.client.request(routes.channels.get, { params: { channel_id: text.id } })).parent_id).toBeNull();
  });

  it('hides channels of servers you are not in', async () => {
    const { general } = await makeGuild(server);
    const stranger = await signUp(server);
    expect((await failure(stranger.client.request(routes.channels.get, { params: { channel_id: general.id } }))).code).toBe(10003);
    expect((await failure(stranger.client.request(routes.messages.list, { params: { channel_id: general.id } }))).code).toBe(10003);
    expect((await failure(stranger.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hi' } }))).code).toBe(10003);
  });
});

describe('private channels', () => {
  it('show their name to everyone and their contents only to members, who alone add others', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [alice, bob] = members;
    const bobLive = await server.connect(bob!.client.token!);
    const bobSeen = record(bobLive, ['CHANNEL_CREATE', 'MESSAGE_CREATE', 'TYPING_START', 'CHANNEL_MEMBER_ADD']);

    const secret = await alice!.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'secret', private: true } }).catch(() => null);
    expect(secret).toBeNull(); // members cannot create channels at all
    const hideout = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'hideout', private: true } });
    expect(hideout).toMatchObject({ private: true, joined: true });
    await owner.client.request(routes.channels.addMember, { params: { channel_id: hideout.id, user_id: alice!.userId } });

    // A marker message in a public channel: once bob has it, anything from before reached him too.
    await owner.client.request(routes.messages.create, { params: { channel_id: hideout.id }, body: { content: 'the plan' } });
    await alice!.client.request(routes.channels.typing, { params: { channel_id: hideout.id } });
    const marker = bobLive.gateway.once('MESSAGE_CREATE', (m) => m.channel_id === general.id);
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'marker' } });
    await marker;
    expect(bobSeen.filter((e) => e.t === 'CHANNEL_CREATE').map((e) => (e.d as { name: string }).name)).toEqual(['hideout']);
    expect(bobSeen.filter((e) => e.t !== 'CHANNEL_CREATE').map((e) => (e.d as { channel_id: string }).channel_id)).toEqual([general.id]);

    expect((await bob!.client.request(routes.channels.get, { params: { channel_id: hideout.id } })).joined).toBe(false);
    expect((await failure(bob!.client.request(routes.messages.list, { params: { channel_id: hideout.id } }))).code).toBe(50001);
    expect((await failure(bob!.client.request(routes.messages.create, { params: { channel_id: hideout.id }, body: { content: 'let me in' } }))).code).toBe(50001);
    expect((await failure(bob!.client.request(routes.channels.addMember, { params: { channel_id: hideout.id, user_id: bob!.userId } }))).code).toBe(50001);
    expect((await failure(bob!.client.request(routes.channels.listMembers, { params: { channel_id: hideout.id } }))).code).toBe(50001);

    // A member brings bob in; from then on he reads and hears everything.
    const added = bobLive.gateway.once('CHANNEL_MEMBER_ADD');
    await alice!.client.request(routes.channels.addMember, { params: { channel_id: hideout.id, user_id: bob!.userId } });
    expect((await added).user.id).toBe(bob!.userId);
    expect((await bob!.client.request(routes.messages.list, { params: { channel_id: hideout.id } })).map((m) => m.content)).toEqual(['the plan']);
    const heard = bobLive.gateway.once('MESSAGE_CREATE', (m) => m.channel_id === hideout.id);
    await alice!.client.request(routes.messages.create, { params: { channel_id: hideout.id }, body: { content: 'welcome' } });
    expect((await heard).content).toBe('welcome');

    // Leaving is allowed; removing others needs Manage Channels.
    expect((await failure(bob!.client.request(routes.channels.removeMember, { params: { channel_id: hideout.id, user_id: alice!.userId } }))).code).toBe(50013);
    await bob!.client.request(routes.channels.removeMember, { params: { channel_id: hideout.id, user_id: bob!.userId } });
    expect((await failure(bob!.client.request(routes.messages.list, { params: { channel_id: hideout.id } }))).code).toBe(50001);
  });

  it('keeps even the owner out of a private channel they are not in', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    // The owner creates it (joining), then leaves: contents are members-only, owners included.
    const room = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'team', private: true } });
    await owner.client.request(routes.channels.addMember, { params: { channel_id: room.id, user_id: members[0]!.userId } });
    await owner.client.request(routes.channels.removeMember, { params: { channel_id: room.id, user_id: owner.userId } });
    expect((await failure(owner.client.request(routes.messages.list, { params: { channel_id: room.id } }))).code).toBe(50001);
    // Still manageable: renaming needs no access to the contents.
    expect((await owner.client.request(routes.channels.update, { params: { channel_id: room.id }, body: { name: 'renamed' } })).name).toBe('renamed');
  });
  it('hide their threads, activity and messages from non-members, whether or not a message exists', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const outsider = members[0]!.client;
    const room = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'board', private: true } });
    const starter = await owner.client.request(routes.messages.create, { params: { channel_id: room.id }, body: { content: 'agenda' } });
    const thread = await owner.client.request(routes.messages.startThread, { params: { channel_id: room.id, message_id: starter.id }, body: { name: 'budget talk' } });
    expect((await owner.client.request(routes.channels.get, { params: { channel_id: thread.id } })).name).toBe('budget talk');

    // The thread (its ID is the starter message's) is unknown to a non-member, like a missing one.
    expect((await failure(outsider.request(routes.channels.get, { params: { channel_id: thread.id } }))).code).toBe(10003);
    expect((await failure(outsider.request(routes.messages.list, { params: { channel_id: thread.id } }))).code).toBe(10003);
    // The channel's name is public, its activity is not.
    const seen = await outsider.request(routes.channels.get, { params: { channel_id: room.id } });
    expect(seen).toMatchObject({ name: 'board', joined: false });
    expect(seen).not.toHaveProperty('last_message_id');
    expect((await outsider.request(routes.guilds.listChannels, { params: { guild_id: guild.id } })).find((c) => c.id === room.id)).not.toHaveProperty('last_message_id');
    expect((await owner.client.request(routes.channels.get, { params: { channel_id: room.id } })).last_message_id).toBe(thread.id);
    // Deleting: the same answer for a message that exists and one that does not.
    const existing = await failure(outsider.request(routes.messages.delete, { params: { channel_id: room.id, message_id: starter.id } }));
    const missing = await failure(outsider.request(routes.messages.delete, { params: { channel_id: room.id, message_id: '1' } }));
    expect([existing.status, existing.code]).toEqual([403, 50001]);
    expect([missing.status, missing.code]).toEqual([403, 50001]);
    // Nor does the thread reach them in the server's payload or in search.
    const [outsiderLive, ownerLive] = [await server.connect(outsider.token!), await server.connect(owner.client.token!)];
    expect(ownerLive.cache.channels.has(thread.id)).toBe(true);
    expect(outsiderLive.cache.channels.has(thread.id)).toBe(false);
    expect(outsiderLive.cache.channels.get(room.id)).not.toHaveProperty('last_message_id');
    const results = await outsider.request(routes.messages.searchGuild, { params: { guild_id: guild.id }, query: { content: 'agenda' } });
    expect(results.total_results).toBe(0);
  });
});

describe('direct messages', () => {
  it('shows a server-mate’s first DM live in the recipient’s DM list', async () => {
    const { owner, members } = await makeGuild(server, { members: 1 });
    const recipientLive = await server.connect(members[0]!.client.token!);
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: members[0]!.userId } });
    const appears = recipientLive.gateway.once('CHANNEL_CREATE', (c) => c.id === dm.id);
    await owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hi from the server' } });
    expect(await appears).toMatchObject({ id: dm.id, recipients: [{ id: owner.userId }], message_request: false });
    expect(recipientLive.cache.channels.get(dm.id)?.type).toBe(ChannelType.DM);
  });

  it('reaches anyone by ID, guests included, as a message request they accept', async () => {
    const sender = await signUp(server);
    const { token, user: guest } = await server.client().request(routes.auth.guest);
    const guestLive = await server.connect(token);
    const dm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: guest.id } });
    expect(dm).toMatchObject({ type: ChannelType.DM, recipients: [{ id: guest.id, guest: true }] });
    // Opening twice gives the same channel.
    expect((await sender.client.request(routes.channels.openDm, { body: { recipient_id: guest.id } })).id).toBe(dm.id);

    const appears = guestLive.gateway.once('CHANNEL_CREATE');
    const message = guestLive.gateway.once('MESSAGE_CREATE');
    await sender.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hi stranger' } });
    expect(await appears).toMatchObject({ id: dm.id, message_request: true, recipients: [{ id: sender.userId }] });
    expect((await message).content).toBe('hi stranger');

    const guestClient = server.client(token);
    expect((await guestClient.request(routes.channels.listDms)).find((c) => c.id === dm.id)?.message_request).toBe(true);
    const accepted = await guestClient.request(routes.channels.acceptRequest, { params: { channel_id: dm.id } });
    expect(accepted.message_request).toBe(false);
    expect((await failure(guestClient.request(routes.channels.acceptRequest, { params: { channel_id: dm.id } }))).code).toBe(90008);
    await guestClient.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hello back' } });
  });

  it('skips the request between people who share a server', async () => {
    const { owner, general } = await makeGuild(server);
    const friend = await joinGuild(server, owner, general.id);
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: friend.userId } });
    await owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hey' } });
    expect((await friend.client.request(routes.channels.listDms)).find((c) => c.id === dm.id)?.message_request).toBe(false);
  });

  it('lets a recipient decline a request, after which it stays out of sight', async () => {
    const sender = await signUp(server);
    const recipient = await signUp(server);
    const dm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: recipient.userId } });
    await sender.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'buy my stuff' } });
    await recipient.client.request(routes.channels.declineRequest, { params: { channel_id: dm.id } });
    const live = await server.connect(recipient.client.token!);
    expect(live.cache.channels.has(dm.id)).toBe(false);
    const seen = record(live, ['MESSAGE_CREATE']);
    await sender.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hello??' } });
    // Events arrive in log order: once this later one is here, the message would have been too.
    const marker = live.gateway.once('GUILD_CREATE');
    await recipient.client.request(routes.guilds.create, { body: { name: 'marker' } });
    await marker;
    expect(seen).toEqual([]);
  });

  it('delivers again once a declined request is answered, and brings a closed DM back with the next message, every send on cached rows', async () => {
    const sender = await signUp(server);
    const recipient = await signUp(server);
    const dm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: recipient.userId } });
    const send = (who: typeof sender, content: string) => who.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content } });
    const listed = async () => (await recipient.client.request(routes.channels.listDms)).find((c) => c.id === dm.id);
    await send(sender, 'buy my stuff');
    await recipient.client.request(routes.channels.declineRequest, { params: { channel_id: dm.id } });
    // This send fills the node's caches with the declined state.
    await send(sender, 'hello??');
    const live = await server.connect(recipient.client.token!);
    // Replying accepts it: the sender's next message reaches the recipient.
    await send(recipient, 'fine, what is it');
    expect((await listed())?.message_request).toBe(false);
    const heard = live.gateway.once('MESSAGE_CREATE', (m) => m.content === 'a great deal');
    await send(sender, 'a great deal');
    expect((await heard).channel_id).toBe(dm.id);

    // Closed by the recipient, it comes back for them, live, with the sender's next message.
    await recipient.client.request(routes.channels.delete, { params: { channel_id: dm.id } });
    expect(await listed()).toBeUndefined();
    const back = live.gateway.once('CHANNEL_CREATE', (c) => c.id === dm.id);
    await send(sender, 'still there?');
    expect(await back).toMatchObject({ id: dm.id, message_request: false, recipients: [{ id: sender.userId }] });
    expect(await listed()).toBeDefined();
  });

  it('delivers every reply of someone who had declined a request to their own sessions, sent at once or not', async () => {
    const sender = await signUp(server);
    const recipient = await signUp(server);
    const dm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: recipient.userId } });
    await sender.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'buy my stuff' } });
    await recipient.client.request(routes.channels.declineRequest, { params: { channel_id: dm.id } });
    await sender.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'the node caches the declined state' } });
    const live = await server.connect(recipient.client.token!);
    const replies = ['one', 'two', 'three'];
    const heard = replies.map((content) => live.gateway.once('MESSAGE_CREATE', (m) => m.content === content));
    // The first to write accepts it; the others see no state to change, and are the author's all the same.
    await Promise.all(replies.map((content) => recipient.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content } })));
    expect((await Promise.all(heard)).map((m) => m.content)).toEqual(replies);
  });

  it('stops DMs both ways once either side blocks', async () => {
    const a = await signUp(server);
    const b = await signUp(server);
    const dm = await a.client.request(routes.channels.openDm, { body: { recipient_id: b.userId } });
    // The node caches whether either blocked the other.
    await a.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'before the block' } });
    await b.client.request(routes.relationships.block, { params: { user_id: a.userId }, body: { type: 2 } });
    expect((await failure(a.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hi' } }))).code).toBe(50007);
    expect((await failure(a.client.request(routes.channels.openDm, { body: { recipient_id: b.userId } }))).code).toBe(50007);
    expect((await failure(b.client.request(routes.channels.openDm, { body: { recipient_id: a.userId } }))).code).toBe(50007);
    expect((await b.client.request(routes.relationships.list)).map((r) => [r.id, r.type])).toEqual([[a.userId, 2]]);
    await b.client.request(routes.relationships.remove, { params: { user_id: a.userId } });
    await a.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hi again' } });
    expect((await failure(a.client.request(routes.channels.openDm, { body: { recipient_id: a.userId } }))).code).toBe(50007);
  });

  it('makes group DMs of up to 10 people, which the owner manages', async () => {
    const owner = await signUp(server);
    const people = await Promise.all(Array.from({ length: 9 }, () => signUp(server)));
    const group = await owner.client.request(routes.channels.openDm, { body: { recipients: people.slice(0, 8).map((p) => p.userId) } });
    expect(group).toMatchObject({ type: ChannelType.GROUP_DM, owner_id: owner.userId });
    expect(group.recipients).toHaveLength(8);
    await owner.client.request(routes.channels.addRecipient, { params: { channel_id: group.id, user_id: people[8]!.userId } });
    const extra = await signUp(server);
    expect((await failure(owner.client.request(routes.channels.addRecipient, { params: { channel_id: group.id, user_id: extra.userId } }))).code).toBe(90006);
    expect((await failure(people[0]!.client.request(routes.channels.removeRecipient, { params: { channel_id: group.id, user_id: people[1]!.userId } }))).code).toBe(50013);
    await people[0]!.client.request(routes.channels.removeRecipient, { params: { channel_id: group.id, user_id: people[0]!.userId } });
    expect((await failure(people[0]!.client.request(routes.messages.list, { params: { channel_id: group.id } }))).code).toBe(10003);
    await people[1]!.client.request(routes.messages.create, { params: { channel_id: group.id }, body: { content: 'group hello' } });
    const tooMany = await failure(owner.client.request(routes.channels.openDm, { body: { recipients: [...people, extra].map((p) => p.userId) } }));
    expect(tooMany.problems[0]).toMatchObject({ path: ['recipients'], code: 'BASE_TYPE_MAX_LENGTH' });
  });
});
