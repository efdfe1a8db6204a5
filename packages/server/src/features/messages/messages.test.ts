import { type Message, OverwriteType, Permissions, routes } from '@parley/protocol';
import { RestClient, sendMessage } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, joinGuild, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(() => server.close());

describe('messages', () => {
  it('sends, edits and deletes in real time, with replies and mentions recorded', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const [friend] = members;
    const friendLive = await server.connect(friend!.client.token!);

    const created = friendLive.gateway.once('MESSAGE_CREATE');
    const sent = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'Hello **world**', nonce: 'n-1' } });
    expect(sent).toMatchObject({ content: 'Hello **world**', author: { id: owner.userId }, reactions: [], pinned: false, nonce: 'n-1' });
    const event = await created;
    expect(event).toMatchObject({ id: sent.id, guild_id: general.guild_id, content: 'Hello **world**', nonce: 'n-1' });
    expect(event.member?.joined_at).toBeTruthy();

    const replyEvent = friendLive.gateway.once('MESSAGE_CREATE', (m) => m.type === 19);
    const reply = await owner.client.request(routes.messages.create, {
      params: { channel_id: general.id },
      body: { content: `<@${friend!.userId}> see above`, message_reference: { message_id: sent.id } },
    });
    expect(reply).toMatchObject({ type: 19, message_reference: { message_id: sent.id }, referenced_message: { id: sent.id } });
    expect(reply.mentions.map((u) => u.id)).toEqual([friend!.userId]);
    expect((await replyEvent).referenced_message?.content).toBe('Hello **world**');

    const updated = friendLive.gateway.once('MESSAGE_UPDATE');
    const edited = await owner.client.request(routes.messages.edit, { params: { channel_id: general.id, message_id: sent.id }, body: { content: 'Hello, edited' } });
    expect(edited.edited_timestamp).not.toBeNull();
    expect((await updated).content).toBe('Hello, edited');

    const deleted = friendLive.gateway.once('MESSAGE_DELETE');
    await owner.client.request(routes.messages.delete, { params: { channel_id: general.id, message_id: sent.id } });
    expect(await deleted).toEqual({ id: sent.id, channel_id: general.id, guild_id: general.guild_id });
    // The reply survives; what it answered is gone.
    const [remaining] = await friend!.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(remaining).toMatchObject({ id: reply.id, referenced_message: null });
  });

  it('stores Markdown as text, refuses empty, oversized and malformed messages, and changes nothing', async () => {
    const { owner, general } = await makeGuild(server);
    const html = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '<script>alert(1)</script>' } });
    expect(html.content).toBe('<script>alert(1)</script>');
    expect((await failure(owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '   ' } }))).code).toBe(50006);
    const long = await failure(owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'x'.repeat(4001) } }));
    expect(long.problems[0]).toMatchObject({ path: ['content'], code: 'BASE_TYPE_MAX_LENGTH' });
    const badRef = await failure(owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hi', message_reference: { message_id: '123' as never } } }));
    expect(badRef.problems[0]?.code).toBe('MESSAGE_REFERENCE_UNKNOWN_MESSAGE');
    const history = await owner.client.request(routes.messages.list, { params: { channel_id: general.id } });
    expect(history.map((m) => m.id)).toEqual([html.id]);
  });

  it('lets only the author edit, and the author or a moderator delete', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 2 });
    const [alice, bob] = members;
    const message = await alice!.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'mine' } });
    const params = { channel_id: general.id, message_id: message.id };
    expect((await failure(bob!.client.request(routes.messages.edit, { params, body: { content: 'hijacked' } }))).code).toBe(50005);
    expect((await failure(owner.client.request(routes.messages.edit, { params, body: { content: 'hijacked' } }))).code).toBe(50005);
    expect((await failure(bob!.client.request(routes.messages.delete, { params }))).code).toBe(50013);
    expect((await bob!.client.request(routes.messages.get, { params })).content).toBe('mine');
    // The owner holds Manage Messages.
    await owner.client.request(routes.messages.delete, { params });
    expect((await failure(bob!.client.request(routes.messages.get, { params }))).code).toBe(10008);
  });

  it('pages history by before, after and around, newest first, at any depth', async () => {
    const { owner, general } = await makeGuild(server);
    const sent: Message[] = [];
    for (let i = 0; i < 30; i++) sent.push(await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `m${i}` } }));
    const ids = sent.map((m) => m.id);
    const page = (query: object) => owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query }).then((ms) => ms.map((m) => m.content));
    expect(await page({ limit: 3 })).toEqual(['m29', 'm28', 'm27']);
    expect(await page({ limit: 3, before: ids[10] })).toEqual(['m9', 'm8', 'm7']);
    expect(await page({ limit: 3, after: ids[10] })).toEqual(['m13', 'm12', 'm11']);
    expect(await page({ limit: 5, around: ids[15] })).toEqual(['m17', 'm16', 'm15', 'm14', 'm13']);
    expect(await page({ limit: 100, before: ids[0] })).toEqual([]);
    const both = await failure(owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { before: ids[1], after: ids[0] } }));
    expect(both.status).toBe(400);
    expect((await failure(owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 101 } }))).problems[0]?.path).toEqual(['limit']);
  });

  it('limits how fast one person sends in one channel (429 with retry_after)', async () => {
    const limited = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '3/60' } });
    try {
      const { owner, general } = await makeGuild(limited);
      const send = () => owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'spam' } });
      for (let i = 0; i < 3; i++) await send();
      const e = await failure(send());
      expect(e).toMatchObject({ status: 429, code: 90001 });
      expect(e.retryAfter).toBeGreaterThan(0);
      expect(await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('enforces slow mode for members, not for moderators', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    await owner.client.request(routes.channels.update, { params: { channel_id: general.id }, body: { rate_limit_per_user: 60 } });
    const send = (who: typeof owner) => who.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'slow' } });
    await send(members[0]!);
    expect((await failure(send(members[0]!))).code).toBe(20016);
    await send(owner);
    await send(owner);
  });
});

describe('retried sends (nonce with enforce_nonce)', () => {
  it('stores a message once however often, and however concurrently, it is sent', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const send = (nonce: string | number, enforce = true, channelId = general.id) =>
      owner.client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content: `hello ${nonce}`, nonce, enforce_nonce: enforce } });
    const first = await send('retry-1');
    const again = await send('retry-1');
    expect(again).toMatchObject({ id: first.id, nonce: 'retry-1', content: 'hello retry-1' });
    const racing = await Promise.all(Array.from({ length: 5 }, () => send(42)));
    expect(new Set(racing.map((m) => m.id)).size).toBe(1);
    expect(racing[0]!.nonce).toBe(42);
    // Without enforce_nonce a nonce only marks the echo, as in Discord: two sends, two messages.
    const loose = [await send('loose', false), await send('loose', false)];
    expect(loose[0]!.id).not.toBe(loose[1]!.id);
    // Another author with the same nonce sends their own message.
    const theirs = await members[0]!.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'mine', nonce: 'retry-1', enforce_nonce: true } });
    expect(theirs.id).not.toBe(first.id);
    const history = await owner.client.request(routes.messages.list, { params: { channel_id: general.id } });
    expect(history.filter((m) => m.content === 'hello retry-1')).toHaveLength(1);
    expect(history.filter((m) => m.content === 'hello 42')).toHaveLength(1);
  });

  it('forgets a nonce after the window, so a later send with it is a new message', async () => {
    let now = Date.now();
    const timed = await startTestServer({ clock: { now: () => now } });
    try {
      const { owner, general } = await makeGuild(timed);
      const body = { content: 'daily standup', nonce: 'standup', enforce_nonce: true };
      const monday = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body });
      now += 4 * 60_000;
      expect((await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body })).id).toBe(monday.id);
      now += 2 * 60_000;
      expect((await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body })).id).not.toBe(monday.id);
    } finally {
      await timed.close();
    }
  });

  it('lets the SDK retry a send whose answer was lost without a second copy', async () => {
    const { owner, general } = await makeGuild(server);
    let lost = 0;
    // The server stores the message, then the answer never arrives: the network fails twice.
    const flaky = new RestClient({
      baseUrl: server.url,
      token: owner.client.token,
      fetch: async (...args) => {
        const response = await fetch(...args);
        if (lost++ < 2) throw new TypeError('connection reset');
        return response;
      },
    });
    const sent = await sendMessage(flaky, general.id, { content: 'only once' });
    expect(lost).toBe(3);
    const history = await owner.client.request(routes.messages.list, { params: { channel_id: general.id } });
    expect(history.filter((m) => m.content === 'only once').map((m) => m.id)).toEqual([sent.id]);
  });
});

describe('reactions and pins', () => {
  it('reacts with Unicode emoji, counts who reacted, and tells everyone', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const friend = members[0]!;
    const ownerLive = await server.connect(owner.client.token!);
    const message = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'react to me' } });
    const params = { channel_id: general.id, message_id: message.id };
    const added = ownerLive.gateway.once('MESSAGE_REACTION_ADD');
    await friend.client.request(routes.messages.addReaction, { params: { ...params, emoji: '👍' } });
    expect(await added).toMatchObject({ user_id: friend.userId, message_id: message.id, emoji: { id: null, name: '👍' }, message_author_id: owner.userId });
    await owner.client.request(routes.messages.addReaction, { params: { ...params, emoji: '👍' } });
    await owner.client.request(routes.messages.addReaction, { params: { ...params, emoji: '👨‍👩‍👧' } });
    await owner.client.request(routes.messages.addReaction, { params: { ...params, emoji: '👍' } }); // twice: no change
    const seen = await friend.client.request(routes.messages.get, { params });
    expect(seen.reactions).toEqual([
      expect.objectContaining({ emoji: { id: null, name: '👍' }, count: 2, me: true }),
      expect.objectContaining({ emoji: { id: null, name: '👨‍👩‍👧' }, count: 1, me: false }),
    ]);
    const who = await friend.client.request(routes.messages.listReactions, { params: { ...params, emoji: '👍' } });
    expect(who.map((u) => u.id).sort()).toEqual([owner.userId, friend.userId].sort());
    const removed = ownerLive.gateway.once('MESSAGE_REACTION_REMOVE');
    await friend.client.request(routes.messages.removeOwnReaction, { params: { ...params, emoji: '👍' } });
    expect((await removed).user_id).toBe(friend.userId);
    expect((await failure(friend.client.request(routes.messages.removeOwnReaction, { params: { ...params, emoji: '👍' } }))).code).toBe(10014);
    expect((await failure(friend.client.request(routes.messages.removeUserReaction, { params: { ...params, emoji: '👍', user_id: owner.userId } }))).code).toBe(50013);
    expect((await failure(friend.client.request(routes.messages.addReaction, { params: { ...params, emoji: 'notemoji' } }))).status).toBe(400);
  });

  it('pins and unpins (Pin Messages needed), with a pins list and events', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const friendLive = await server.connect(members[0]!.client.token!);
    const message = await members[0]!.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'pin me' } });
    const params = { channel_id: general.id, message_id: message.id };
    expect((await failure(members[0]!.client.request(routes.messages.pin, { params }))).code).toBe(50013);
    const pinsUpdate = friendLive.gateway.once('CHANNEL_PINS_UPDATE');
    await owner.client.request(routes.messages.pin, { params });
    expect((await pinsUpdate).channel_id).toBe(general.id);
    expect((await owner.client.request(routes.messages.listPins, { params: { channel_id: general.id } })).map((m) => m.id)).toEqual([message.id]);
    expect((await owner.client.request(routes.messages.get, { params })).pinned).toBe(true);
    await owner.client.request(routes.messages.unpin, { params });
    expect(await owner.client.request(routes.messages.listPins, { params: { channel_id: general.id } })).toEqual([]);
  });
});

describe('threads', () => {
  it('hang off a message with the message’s ID and hold their own messages', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const friendLive = await server.connect(members[0]!.client.token!);
    const starter = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'topic' } });
    const threadCreated = friendLive.gateway.once('THREAD_CREATE');
    const thread = await owner.client.request(routes.messages.startThread, { params: { channel_id: general.id, message_id: starter.id }, body: { name: 'Discussion' } });
    expect(thread).toMatchObject({ id: starter.id, type: 11, parent_id: general.id, name: 'Discussion', owner_id: owner.userId });
    expect((await threadCreated).id).toBe(thread.id);
    const inThread = friendLive.gateway.once('MESSAGE_CREATE', (m) => m.channel_id === thread.id);
    await members[0]!.client.request(routes.messages.create, { params: { channel_id: thread.id }, body: { content: 'in the thread' } });
    expect((await inThread).content).toBe('in the thread');
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: thread.id } })).map((m) => m.content)).toEqual(['in the thread']);
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.content)).toEqual(['topic']);
    expect((await owner.client.request(routes.messages.get, { params: { channel_id: general.id, message_id: starter.id } })).thread?.id).toBe(thread.id);
    expect((await failure(owner.client.request(routes.messages.startThread, { params: { channel_id: general.id, message_id: starter.id }, body: { name: 'Again' } }))).code).toBe(160004);
    expect((await owner.client.request(routes.channels.get, { params: { channel_id: thread.id } })).message_count).toBe(1);
  });
});

describe('read states', () => {
  it('reports unread and mention counts in READY and syncs acks across devices', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const reader = members[0]!;
    const first = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'one' } });
    await reader.client.request(routes.messages.ack, { params: { channel_id: general.id, message_id: first.id } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'two' } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `three <@${reader.userId}>` } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'four @everyone' } });
    const phone = await server.connect(reader.client.token!);
    const state = phone.cache.readStates.get(general.id);
    // @everyone needs Mention Everyone (the owner has it), so it counts as a mention too.
    expect(state).toMatchObject({ last_message_id: first.id, unread_count: 3, mention_count: 2 });

    const laptop = await server.connect(reader.client.token!);
    const acked = laptop.gateway.once('MESSAGE_ACK');
    const latest = (await reader.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } }))[0]!;
    await reader.client.request(routes.messages.ack, { params: { channel_id: general.id, message_id: latest.id } });
    expect(await acked).toEqual({ channel_id: general.id, message_id: latest.id });
    const later = await server.connect(reader.client.token!);
    expect(later.cache.readStates.get(general.id)).toMatchObject({ unread_count: 0, mention_count: 0 });

    // A late ack for an older message (sent before the newer one was read) changes nothing.
    await reader.client.request(routes.messages.ack, { params: { channel_id: general.id, message_id: first.id } });
    const afterLateAck = await server.connect(reader.client.token!);
    expect(afterLateAck.cache.readStates.get(general.id)).toMatchObject({ last_message_id: latest.id, unread_count: 0 });
  });
});

describe('typing', () => {
  it('tells the channel who is typing', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const ownerLive = await server.connect(owner.client.token!);
    const typing = ownerLive.gateway.once('TYPING_START');
    await members[0]!.client.request(routes.channels.typing, { params: { channel_id: general.id } });
    expect(await typing).toMatchObject({ channel_id: general.id, guild_id: general.guild_id, user_id: members[0]!.userId });
  });
});

describe('mentions', () => {
  it('lets @everyone through only with Mention Everyone', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const fromMember = await members[0]!.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '@everyone hi' } });
    expect(fromMember.mention_everyone).toBe(false);
    const fromOwner = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '@everyone hi' } });
    expect(fromOwner.mention_everyone).toBe(true);
    expect(Permissions.MENTION_EVERYONE).toBeGreaterThan(0n);
  });

  it('records only mentioned users who can read the channel', async () => {
    const { owner, guild, general } = await makeGuild(server);
    const outsider = await joinGuild(server, owner, general.id);
    const other = await makeGuild(server);
    const message = await owner.client.request(routes.messages.create, {
      params: { channel_id: general.id },
      // IDs no row could have, past a signed 64-bit integer: text, not an error.
      body: { content: `<@${outsider.userId}> <@${other.owner.userId}> <@999> <@99999999999999999999> <@&99999999999999999999>` },
    });
    expect(message.mentions.map((u) => u.id)).toEqual([outsider.userId]);
    expect(message.mention_roles).toEqual([]);

    // A member an overwrite hides the channel from, and one outside a private channel.
    const hidden = await joinGuild(server, owner, general.id);
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: general.id, overwrite_id: hidden.userId },
      body: { type: OverwriteType.MEMBER, allow: '0', deny: String(Permissions.VIEW_CHANNEL) },
    });
    const past = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${hidden.userId}> <@${outsider.userId}>` } });
    expect(past.mentions.map((u) => u.id)).toEqual([outsider.userId]);
    const staff = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'staff', type: 0, private: true } });
    const inside = await owner.client.request(routes.messages.create, { params: { channel_id: staff.id }, body: { content: `<@${outsider.userId}> <@${owner.userId}>` } });
    expect(inside.mentions.map((u) => u.id)).toEqual([owner.userId]);
  });
});
