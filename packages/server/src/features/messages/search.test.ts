import { type Channel, type Guild, type Message, routes } from '@parley/protocol';
import type { RestClient } from '@parley/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB } from '../../testing/databases';
import { failure, makeImage, signUp } from '../../testing/fixtures';
import { createGuild, joinGuild } from '../../testing/guilds';
import { startTestServer, type TestServer } from '../../testing/server';

/** The server's clock starts on 10 March 2021 (for one old message), then runs in the present. */
const PAST = Date.parse('2021-03-10T12:00:00Z');
let clockOffset = PAST - Date.now();
const clock = { now: () => Date.now() + clockOffset };

let server: TestServer;
let owner: RestClient;
let friend: RestClient;
let outsider: RestClient;
let friendId: string;
let guild: Guild;
let general: Channel;
let secret: Channel;
let dm: Channel;
/** Messages by what they say. */
const sent = new Map<string, Message>();

async function say(client: RestClient, channel: Channel | string, content: string, files?: File[]): Promise<Message> {
  const channelId = typeof channel === 'string' ? channel : channel.id;
  const message = await client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content }, ...(files && { files }) });
  sent.set(content, message);
  return message;
}

beforeAll(async () => {
  // Sessions opened in 2021 are used again today: idle for years, as far as the clock can tell.
  server = await startTestServer({ clock, env: { MESSAGE_RATE_LIMIT: '1000/1', SESSION_IDLE_DAYS: '3650' } });
  const o = await signUp(server);
  const f = await signUp(server);
  const x = await signUp(server);
  [owner, friend, outsider, friendId] = [o.client, f.client, x.client, f.userId];
  ({ guild, general } = await createGuild(owner, 'Search Club'));
  await joinGuild(owner, friend, general);
  await say(owner, general, 'An old hello from 2021');
  clockOffset = 0;

  await say(owner, general, 'Hello World');
  await say(friend, general, 'hello there, friend');
  await say(owner, general, 'Crème brûlée recipe');
  await say(owner, general, 'nothing to see', [new File([new Uint8Array(await makeImage('png'))], 'pic.png')]);
  await say(friend, general, 'meeting notes', [new File(['agenda'], 'agenda.txt')]);
  await say(owner, general, 'say "quoted" words; DROP TABLE messages; -- and 100% NEAR(x y)');
  const thread = await owner.request(routes.messages.startThread, { params: { channel_id: general.id, message_id: sent.get('Hello World')!.id }, body: { name: 'world talk' } });
  await say(friend, thread.id, 'hello in a thread');

  secret = await owner.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'secret', private: true } });
  await say(owner, secret, 'hello secret plans');
  const secretThread = await owner.request(routes.messages.startThread, { params: { channel_id: secret.id, message_id: sent.get('hello secret plans')!.id }, body: { name: 'plots' } });
  await say(owner, secretThread.id, 'hello secret thread');

  const elsewhere = await createGuild(outsider, 'Elsewhere');
  await say(outsider, elsewhere.general, 'hello from elsewhere');
  await joinGuild(outsider, owner, elsewhere.general);

  dm = await owner.request(routes.channels.openDm, { body: { recipient_id: friendId } });
  await say(owner, dm, 'hello by dm');
});
afterAll(() => server.close());

function searchGuild(client: RestClient, query: Record<string, string | number>) {
  return client.request(routes.messages.searchGuild, { params: { guild_id: guild.id }, query });
}

/** What the found messages say, in the order given. */
const contents = (result: { messages: Message[] }) => result.messages.map((m) => m.content);

describe('full-text search in a server', () => {
  it('finds every word, whatever the case, newest first, in the channels and threads you can read', async () => {
    const forOwner = await searchGuild(owner, { content: 'HELLO' });
    expect(contents(forOwner)).toEqual(['hello secret thread', 'hello secret plans', 'hello in a thread', 'hello there, friend', 'Hello World', 'An old hello from 2021']);
    expect(forOwner.total_results).toBe(6);
    // Messages come whole, as history gives them.
    expect(forOwner.messages[3]).toEqual(await owner.request(routes.messages.get, { params: { channel_id: general.id, message_id: sent.get('hello there, friend')!.id } }));

    const forFriend = await searchGuild(friend, { content: 'hello' });
    expect(contents(forFriend)).toEqual(['hello in a thread', 'hello there, friend', 'Hello World', 'An old hello from 2021']);
    expect(contents(await searchGuild(friend, { content: 'world hello' }))).toEqual(['Hello World']);
    expect(await searchGuild(friend, { content: 'goodbye' })).toEqual({ total_results: 0, messages: [] });
  });

  it('ignores case and (on SQLite) accents', async () => {
    expect(contents(await searchGuild(friend, { content: 'CRÈME BRÛLÉE' }))).toEqual(['Crème brûlée recipe']);
    // PostgreSQL's 'simple' configuration keeps accents: only SQLite's FTS5 folds them away.
    expect(contents(await searchGuild(friend, { content: 'creme brulee' }))).toEqual(TEST_DB === 'sqlite' ? ['Crème brûlée recipe'] : []);
  });

  it('filters by author, channel, attachments and date, alone or with words', async () => {
    expect(contents(await searchGuild(owner, { content: 'hello', author_id: friendId }))).toEqual(['hello in a thread', 'hello there, friend']);
    expect(contents(await searchGuild(owner, { content: 'hello', channel_id: general.id }))).toEqual(['hello there, friend', 'Hello World', 'An old hello from 2021']);
    expect(contents(await searchGuild(owner, { has: 'image' }))).toEqual(['nothing to see']);
    expect(contents(await searchGuild(owner, { has: 'file' }))).toEqual(['meeting notes', 'nothing to see']);
    expect(contents(await searchGuild(owner, { has: 'file', author_id: friendId }))).toEqual(['meeting notes']);
    expect(contents(await searchGuild(friend, { content: 'hello', after: '2022-01-01' }))).toEqual(['hello in a thread', 'hello there, friend', 'Hello World']);
    expect(contents(await searchGuild(friend, { content: 'hello', before: '2022-01-01' }))).toEqual(['An old hello from 2021']);
    // Exact instants, with offsets: the old message was sent at 12:00:00Z (plus a few milliseconds).
    expect(contents(await searchGuild(friend, { content: 'hello', after: '2021-03-10T13:00:00+01:00', before: '2021-03-11' }))).toEqual(['An old hello from 2021']);
    expect(contents(await searchGuild(friend, { content: 'hello', before: '2021-03-10T11:59:59Z' }))).toEqual([]);
    expect(contents(await searchGuild(friend, { content: 'hello', after: '2030-01-01' }))).toEqual([]);
    expect(contents(await searchGuild(friend, { content: 'hello', after: '1999-01-01', before: '2999-12-31' }))).toHaveLength(4);
  });

  it('pages through many results', async () => {
    const paging = await owner.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'paging' } });
    for (let i = 0; i < 30; i++) await say(owner, paging, `page entry ${i}`);
    const pages = await Promise.all([0, 10, 20, 30].map((offset) => searchGuild(owner, { content: 'entry', channel_id: paging.id, limit: 10, offset })));
    expect(pages.map((p) => p.total_results)).toEqual([30, 30, 30, 30]);
    expect(pages.flatMap(contents)).toEqual(Array.from({ length: 30 }, (_, i) => `page entry ${29 - i}`));
    expect(pages[3]!.messages).toEqual([]);
  });
});

describe('what search never shows', () => {
  it('keeps private channels (and their threads) to their members, and other servers to theirs', async () => {
    expect(contents(await searchGuild(friend, { content: 'secret' }))).toEqual([]);
    expect(contents(await searchGuild(friend, { content: 'secret', channel_id: secret.id }))).toEqual([]);
    expect((await failure(friend.request(routes.messages.searchChannel, { params: { channel_id: secret.id }, query: { content: 'secret' } }))).code).toBe(50001);
    expect((await failure(searchGuild(outsider, { content: 'hello' }))).code).toBe(10004);
    // The owner is also in "Elsewhere", but searching this server shows only this server.
    expect(contents(await searchGuild(owner, { content: 'elsewhere' }))).toEqual([]);
    expect(contents(await searchGuild(owner, { content: 'hello', channel_id: dm.id }))).toEqual([]);

    await owner.request(routes.channels.addMember, { params: { channel_id: secret.id, user_id: friendId } });
    expect(contents(await searchGuild(friend, { content: 'secret' }))).toEqual(['hello secret thread', 'hello secret plans']);
    await owner.request(routes.channels.removeMember, { params: { channel_id: secret.id, user_id: friendId } });
    expect(contents(await searchGuild(friend, { content: 'secret' }))).toEqual([]);
  });

  it('searches a DM for its recipients only', async () => {
    const found = await friend.request(routes.messages.searchChannel, { params: { channel_id: dm.id }, query: { content: 'hello' } });
    expect(contents(found)).toEqual(['hello by dm']);
    expect(found.messages[0]!.channel_id).toBe(dm.id);
    expect((await failure(outsider.request(routes.messages.searchChannel, { params: { channel_id: dm.id }, query: { content: 'hello' } }))).code).toBe(10003);
    // One channel: just its own messages.
    expect(contents(await owner.request(routes.messages.searchChannel, { params: { channel_id: general.id }, query: { content: 'hello', limit: 2 } }))).toEqual(['hello there, friend', 'Hello World']);
  });

  it('treats any text as plain words: quotes, wildcards, operators and SQL never error, match syntax or leak', async () => {
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from messages`.execute(server.db.database.db)).rows[0]!.n);
    const before = await count();
    const tricky = [
      '"',
      '"hello',
      'hello"',
      '""',
      "'",
      '*',
      'hel*',
      '^hello',
      'NEAR(hello world)',
      'hello NEAR world',
      'hello OR secret',
      'hello AND NOT world',
      '-hello',
      'hello -world',
      '+hello',
      '(',
      ')',
      '{content}: hello',
      'content:secret',
      'messages_fts:hello',
      "' OR 1=1 --",
      "'; DROP TABLE messages; --",
      'DROP TABLE messages',
      '%',
      '_',
      '\\',
      '\\"hello\\"',
      '100%',
      '😀',
      '&|!<->:*',
      'hello & world | !secret',
      'a'.repeat(256),
    ];
    for (const content of tricky) {
      const result = await searchGuild(friend, { content });
      expect(
        result.messages.every((m) => m.channel_id !== secret.id && m.guild_id === guild.id),
        content,
      ).toBe(true);
      expect(result.total_results).toBeGreaterThanOrEqual(result.messages.length);
      const dmResult = await friend.request(routes.messages.searchChannel, { params: { channel_id: dm.id }, query: { content } });
      expect(dmResult.messages.every((m) => m.channel_id === dm.id)).toBe(true);
    }
    // Punctuation only separates words: these are searches for plain words.
    expect((await searchGuild(friend, { content: '"hello"' })).total_results).toBe(4);
    expect((await searchGuild(friend, { content: '-hello' })).total_results).toBe(4);
    expect(contents(await searchGuild(friend, { content: 'DROP TABLE messages; --' }))).toEqual([sent.get('say "quoted" words; DROP TABLE messages; -- and 100% NEAR(x y)')!.content]);
    expect((await searchGuild(friend, { content: 'hello OR secret' })).total_results).toBe(0);
    expect((await searchGuild(friend, { content: 'hel*' })).total_results).toBe(0);
    // Text with no word in it finds nothing (rather than everything).
    for (const content of ['*', '"', '--', '()', '%', '😀']) expect((await searchGuild(friend, { content })).total_results).toBe(0);
    // Too long is a form error, like any other field.
    expect((await failure(searchGuild(friend, { content: 'a'.repeat(257) }))).code).toBe(50035);
    expect(await count()).toBe(before);
  });
});
