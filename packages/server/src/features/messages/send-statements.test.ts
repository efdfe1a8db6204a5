import { type Message, OverwriteType, Permissions, type Snowflake, routes } from '@parley/protocol';
import { webhookRoutes } from '@parley/protocol/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB } from '../../testing/databases';
import { makeGuild } from '../../testing/fixtures';
import { recordStatements } from '../../testing/statements';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(() => server.close());

/**
 * Issue 17's budget: a message send runs at most four SQL statements on PostgreSQL (each one a
 * round trip), whatever the guild's roles and overwrites, in a guild channel or a DM; what every
 * send reads is cached per node (cache/) and the payload is built from what was written. Today,
 * with an enforced nonce: two on PostgreSQL (the nonce's lookup, then one WITH statement), on
 * SQLite the lookup and its transaction, and the request's `PRAGMA data_version`, which tells of
 * the operator CLI's writes (in-process calls, no round trips). A DM's transaction also accepts
 * it for whoever had closed it or not answered its request (one update, which changes no row
 * when nobody had).
 */
const BUDGET = { postgres: 4, sqlite: 9 };
const DM_BUDGET = { postgres: 4, sqlite: 10 };

/**
 * The statements each of `times` calls runs, on average, once the node's caches are warm (the
 * calls made before are the warm-up); push's work after a send is counted with it. With the
 * statements themselves, for the failure's message, and the last call's answer.
 */
async function measure<T>(times: number, call: (i: number) => Promise<T>): Promise<{ perCall: number; listing: string; last: T }> {
  const log = recordStatements();
  let last: T | undefined;
  try {
    for (let i = 0; i < times; i++) last = await call(i);
    // Push is decided after a send answers: it finishes inside the log.
    await server.app.pushIdle();
  } finally {
    log.stop();
  }
  return { perCall: log.statements.length / times, listing: log.statements.join('\n'), last: last! };
}

describe('SQL statements per message send', () => {
  it(`stays within ${BUDGET[TEST_DB]} on ${TEST_DB}, in a guild with roles and overwrites`, async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 2 });
    const [sender] = members;
    const params = { guild_id: guild.id };
    const role = await owner.client.request(routes.roles.create, { params, body: { name: 'Talkers', permissions: String(Permissions.SEND_MESSAGES | Permissions.VIEW_CHANNEL) } });
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: sender!.userId as Snowflake, role_id: role.id } });
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: general.id, overwrite_id: role.id },
      body: { type: OverwriteType.ROLE, allow: String(Permissions.SEND_MESSAGES), deny: '0' },
    });
    // As the web client sends: with a nonce the server enforces.
    const send = (content: string) => sender!.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content, nonce: content, enforce_nonce: true } });
    // The first sends fill the node's caches.
    await send('warm 1');
    await send('warm 2');

    const sent = await measure(5, (i) => send(`counted ${i}`));
    expect(sent.perCall, sent.listing).toBeLessThanOrEqual(BUDGET[TEST_DB]);

    // A page of history: the page, then its mentions, reactions, threads and authors side by side
    // (attachments only when a message on the page has some; and SQLite's data_version pragma).
    const page = () => sender!.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 50 } });
    await page();
    const paged = await measure(1, page);
    expect(paged.perCall, paged.listing).toBeLessThanOrEqual(TEST_DB === 'sqlite' ? 6 : 5);
  });

  it(`stays within ${BUDGET.postgres} on PostgreSQL for a reply that pings its author and mentions someone`, async () => {
    const { general, members } = await makeGuild(server, { members: 3 });
    const [sender, replied, named] = members as [(typeof members)[number], (typeof members)[number], (typeof members)[number]];
    const first = await replied.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'ask me' } });
    const send = (content: string) =>
      sender.client.request(routes.messages.create, {
        params: { channel_id: general.id },
        body: { content: `<@${named.userId}> ${content}`, message_reference: { message_id: first.id }, nonce: content, enforce_nonce: true },
      });
    await send('warm 1');

    const { perCall, listing, last } = await measure(5, (i) => send(`counted ${i}`));
    expect(last.mentions.map((u) => u.id).sort()).toEqual([replied.userId, named.userId].sort());
    // The nonce, the replied-to message, the mentioned members' rows, the write (and on SQLite its transaction's parts).
    expect(perCall, listing).toBeLessThanOrEqual(TEST_DB === 'postgres' ? BUDGET.postgres : 13);
  });

  it(`stays within ${BUDGET.postgres} on PostgreSQL with a file attached`, async () => {
    const { general, members } = await makeGuild(server, { members: 1 });
    const sender = members[0]!;
    // The file's receiver checks Attach Files on the rows the send route reads: cached per node too.
    const send = (content: string) =>
      sender.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content, nonce: content, enforce_nonce: true }, files: [new File([content], 'note.txt')] });
    await send('warm 1');

    const { perCall, listing } = await measure(5, (i) => send(`counted ${i}`));
    expect(perCall, listing).toBeLessThanOrEqual(TEST_DB === 'postgres' ? BUDGET.postgres : 10);
  });

  it(`stays within ${BUDGET.postgres} on PostgreSQL for a webhook's post that mentions someone`, async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const hook = await owner.client.request(webhookRoutes.create, { params: { channel_id: general.id }, body: { name: 'CI' } });
    const post = async (content: string) => {
      const response = await fetch(`${server.url}/api/v10/webhooks/${hook.id}/${hook.token}?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: `<@${members[0]!.userId}> ${content}` }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Message;
    };
    await post('warm 1');

    // Within the webhook's own rate limit (5 posts per 2 s).
    const { perCall, listing, last } = await measure(3, (i) => post(`counted ${i}`));
    expect(last.mentions.map((u) => u.id)).toEqual([members[0]!.userId]);
    // The webhook by its token (never cached: a deleted one stops at once), the mentioned member, the write, the webhook's user.
    expect(perCall, listing).toBeLessThanOrEqual(TEST_DB === 'postgres' ? BUDGET.postgres : 9);
  });

  it(`stays within ${DM_BUDGET[TEST_DB]} on ${TEST_DB} in a DM`, async () => {
    const { owner, members } = await makeGuild(server, { members: 1 });
    const friend = members[0]!;
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: friend.userId } });
    const send = (content: string) => owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content, nonce: content, enforce_nonce: true } });
    // The first sends fill the node's caches (and the first one announces the DM to the friend).
    await send('warm 1');
    await send('warm 2');

    const { perCall, listing } = await measure(5, (i) => send(`counted ${i}`));
    expect(perCall, listing).toBeLessThanOrEqual(DM_BUDGET[TEST_DB]);
  });

  it('answers a send with the message exactly as a read of it gives it, though built from what was written', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const friend = members[0]!;
    const first = await friend.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'first' } });
    const sent = await owner.client.request(routes.messages.create, {
      params: { channel_id: general.id },
      body: { content: `<@${friend.userId}> replying, **bold**`, message_reference: { message_id: first.id }, nonce: 'n', enforce_nonce: true },
    });
    const read = await owner.client.request(routes.messages.get, { params: { channel_id: general.id, message_id: sent.id } });
    const { member, nonce, ...answered } = sent;
    expect(nonce).toBe('n');
    expect(member?.roles).toEqual([]);
    expect(answered).toEqual(read);
  });
});
