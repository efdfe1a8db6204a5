import { ChannelType, type InstanceSettings, type Snowflake, routes } from '@parley/protocol';
import { safetyRoutes } from '@parley/protocol/safety';
import type { RestClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/** Texts the shipped model scores far above the default thresholds (0.5 flag, 0.85 block), and one it must not flag. */
const HARASSING = 'you are a worthless idiot, nobody likes you, go kill yourself';
const THREAT = 'I know where you live and I will stab you';
const BENIGN = 'this exam is killing me';

let server: TestServer;
let admin: Person;
let secondAdmin: Person;
beforeAll(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'error' } });
  admin = await makeAdmin();
  secondAdmin = await makeAdmin();
});
afterAll(() => server.close());

const db = () => server.db.database.db;

/** An instance admin (promoted behind the API's back: the admin portal is another feature). */
async function makeAdmin(): Promise<Person> {
  const person = await signUp(server);
  await db()
    .updateTable('users')
    .set({ admin: 1 })
    .where('id', '=', person.userId as Snowflake)
    .execute();
  return person;
}

/** A person marked as a minor (as an admin or a birth date at sign-up would). */
async function signUpMinor(): Promise<Person> {
  const person = await signUp(server);
  await db()
    .updateTable('users')
    .set({ minor: 1 })
    .where('id', '=', person.userId as Snowflake)
    .execute();
  return person;
}

const settings = (body: Partial<InstanceSettings>) => admin.client.request(routes.instance.updateSettings, { body });
const openDm = async (from: Person, to: Person) => from.client.request(routes.channels.openDm, { body: { recipient_id: to.userId as Snowflake } });
const say = (who: Person | RestClient, channelId: Snowflake, content: string, reply?: Snowflake) =>
  ('client' in who ? who.client : who).request(routes.messages.create, {
    params: { channel_id: channelId },
    body: { content, ...(reply && { message_reference: { message_id: reply } }) },
  });
const history = (who: Person, channelId: Snowflake) => who.client.request(routes.messages.list, { params: { channel_id: channelId }, query: {} });
const reportsFor = (messageId: Snowflake) => db().selectFrom('reports').selectAll().where('message_id', '=', messageId).execute();
const auditFor = (action: string) => db().selectFrom('instance_audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

describe('scanning policy', () => {
  it('scans conversations with a minor by default, everything with "all", nothing with "none"', async () => {
    const minor = await signUpMinor();
    const [a, b, c, d] = [await signUp(server), await signUp(server), await signUp(server), await signUp(server)];

    await settings({ safety_scan: 'none' });
    const unscanned = await say(a, (await openDm(a, minor)).id, HARASSING);
    expect(unscanned.safety_flag).toBeUndefined();
    expect(await reportsFor(unscanned.id)).toEqual([]);

    await settings({ safety_scan: 'minors' });
    const withMinor = await say(b, (await openDm(b, minor)).id, HARASSING);
    expect(withMinor.safety_flag?.labels[0]).toBe('harassment');
    const adultsOnly = await say(b, (await openDm(b, c)).id, HARASSING);
    expect(adultsOnly.safety_flag).toBeUndefined();
    // A benign text in a scanned conversation is delivered as is.
    expect((await say(c, (await openDm(c, minor)).id, BENIGN)).safety_flag).toBeUndefined();

    await settings({ safety_scan: 'all' });
    const everything = await say(d, (await openDm(d, c)).id, HARASSING);
    expect(everything.safety_flag?.labels).toContain('harassment');
    const [report] = await reportsFor(everything.id);
    expect(report).toMatchObject({ reporter_id: null, category: 'harassment', user_id: d.userId, channel_id: everything.channel_id, guild_id: null, content: HARASSING, status: 'open' });
    expect(JSON.parse(report!.scores!).harassment).toBeGreaterThan(0.5);
    await settings({ safety_scan: 'minors' });
  });

  it('scans a server channel once a minor joins the server (the cached fact is dropped on the join)', async () => {
    const { owner, general } = await makeGuild(server, { members: 1 });
    expect((await say(owner, general.id, HARASSING)).safety_flag).toBeUndefined();
    const minor = await signUpMinor();
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await minor.client.request(routes.invites.accept, { params: { code: invite.code } });
    expect((await say(owner, general.id, 'you are ugly and stupid and everyone hates you')).safety_flag?.labels).toContain('harassment');
  });
});

describe('held messages', () => {
  it('are held from minors (live and in history, replies too) and shown to adults, in a group DM', async () => {
    await settings({ safety_block_threshold: 1 });
    try {
      const minor = await signUpMinor();
      const [sender, adult] = [await signUp(server), await signUp(server)];
      const group = await sender.client.request(routes.channels.openDm, { body: { recipients: [minor.userId as Snowflake, adult.userId as Snowflake] } });
      const [minorLive, adultLive, senderLive] = await Promise.all([server.connect(minor.client.token!), server.connect(adult.client.token!), server.connect(sender.client.token!)]);
      const minorGot = collect(minorLive.gateway, 'MESSAGE_CREATE');
      const adultGot = collect(adultLive.gateway, 'MESSAGE_CREATE');
      const senderGot = collect(senderLive.gateway, 'MESSAGE_CREATE');

      const sent = await say(sender, group.id, HARASSING);
      expect(sent.safety_flag).toEqual({ labels: ['harassment'], block_id: null });
      const [toMinor] = await minorGot.count(1);
      expect(toMinor).toMatchObject({ id: sent.id, held: true, content: '', attachments: [], author: { id: sender.userId } });
      const [toAdult] = await adultGot.count(1);
      expect(toAdult).toMatchObject({ id: sent.id, content: HARASSING });
      expect(toAdult!.held).toBeUndefined();
      expect(toAdult!.safety_flag).toBeUndefined();
      const [toSender] = await senderGot.count(1);
      expect(toSender).toMatchObject({ id: sent.id, content: HARASSING, safety_flag: { labels: ['harassment'] } });

      expect((await history(minor, group.id)).find((m) => m.id === sent.id)).toMatchObject({ held: true, content: '' });
      expect((await minor.client.request(routes.messages.get, { params: { channel_id: group.id, message_id: sent.id } })).held).toBe(true);
      expect((await history(adult, group.id)).find((m) => m.id === sent.id)).toMatchObject({ content: HARASSING });
      // A reply quoting it does not leak it to the minor.
      const reply = await say(adult, group.id, 'that is not ok', sent.id);
      const [replyToMinor] = await minorGot.count(2).then((items) => items.slice(1));
      expect(replyToMinor).toMatchObject({ id: reply.id, content: 'that is not ok', referenced_message: { id: sent.id, held: true, content: '' } });
      expect((await history(minor, group.id)).find((m) => m.id === reply.id)?.referenced_message).toMatchObject({ held: true, content: '' });
      // An edit (here, pinning publishes an update too) never carries the content to the minor.
      const minorUpdates = collect(minorLive.gateway, 'MESSAGE_UPDATE');
      await sender.client.request(routes.messages.pin, { params: { channel_id: group.id, message_id: sent.id } });
      expect((await minorUpdates.count(1))[0]).toMatchObject({ id: sent.id, held: true, content: '' });

      const held = (await auditFor('message_held')).filter((e) => e.target_id === sent.id);
      expect(held).toMatchObject([{ actor_id: null, target_type: 'message' }]);
    } finally {
      await settings({ safety_block_threshold: 0.85 });
    }
  });

  it('are held from the minor members of a server channel only', async () => {
    await settings({ safety_block_threshold: 1 });
    try {
      const { owner, general, members } = await makeGuild(server, { members: 1 });
      const minor = await signUpMinor();
      const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
      await minor.client.request(routes.invites.accept, { params: { code: invite.code } });
      const [minorLive, adultLive] = await Promise.all([server.connect(minor.client.token!), server.connect(members[0]!.client.token!)]);
      const minorGot = collect(minorLive.gateway, 'MESSAGE_CREATE');
      const adultGot = collect(adultLive.gateway, 'MESSAGE_CREATE');
      const sent = await say(owner, general.id, THREAT);
      expect(sent.safety_flag?.labels).toEqual(expect.arrayContaining(['threat', 'harassment']));
      expect((await minorGot.count(1))[0]).toMatchObject({ id: sent.id, held: true, content: '' });
      expect((await adultGot.count(1))[0]).toMatchObject({ id: sent.id, content: THREAT });
      const [report] = await reportsFor(sent.id);
      expect(report).toMatchObject({ reporter_id: null, category: 'threat', guild_id: general.guild_id });
      // A minor searching for its words does not find it.
      const found = await minor.client.request(routes.messages.searchChannel, { params: { channel_id: general.id }, query: { content: 'stab' } });
      expect(found.messages.flat().map((m) => m.id)).not.toContain(sent.id);
      const adultFound = await members[0]!.client.request(routes.messages.searchChannel, { params: { channel_id: general.id }, query: { content: 'stab' } });
      expect(adultFound.messages.flat().map((m) => m.id)).toContain(sent.id);
    } finally {
      await settings({ safety_block_threshold: 0.85 });
    }
  });
});

describe('blocks and appeals', () => {
  it('block the sender from that person with a clear error, until a second admin lifts it on appeal', async () => {
    const minor = await signUpMinor();
    const [sender, friend] = [await signUp(server), await signUp(server)];
    const dm = await openDm(sender, minor);
    const [senderLive, minorLive] = await Promise.all([server.connect(sender.client.token!), server.connect(minor.client.token!)]);
    const blocks = collect(senderLive.gateway, 'SAFETY_BLOCK_CREATE');
    const blockUpdates = collect(senderLive.gateway, 'SAFETY_BLOCK_UPDATE');
    const minorUpdates = collect(minorLive.gateway, 'MESSAGE_UPDATE');

    const sent = await say(sender, dm.id, HARASSING);
    const blockId = sent.safety_flag!.block_id!;
    expect(blockId).toMatch(/^\d+$/);
    const [announced] = await blocks.count(1);
    expect(announced).toMatchObject({ id: blockId, channel_id: dm.id, target_user_id: minor.userId, message_id: sent.id, labels: ['harassment'], lifted_at: null, appeal: null });
    expect(announced!.reason).toMatch(/blocked from messaging this person.*harassment.*appeal/i);

    const refused = await failure(say(sender, dm.id, 'sorry'));
    expect([refused.status, refused.code]).toEqual([403, 90030]);
    expect(refused.message).toMatch(/You are blocked from messaging this person until an administrator reviews.*harassment.*appeal/);
    // A group DM with the same person is refused too; other people are not.
    const group = await sender.client.request(routes.channels.openDm, { body: { recipients: [minor.userId as Snowflake, friend.userId as Snowflake] } });
    expect((await failure(say(sender, group.id, 'hi'))).code).toBe(90030);
    await say(sender, (await openDm(sender, friend)).id, 'still allowed');
    // Edits in the blocked conversation are refused as well.
    expect((await failure(sender.client.request(routes.messages.edit, { params: { channel_id: dm.id, message_id: sent.id }, body: { content: 'edited' } }))).code).toBe(90030);

    const mine = await sender.client.request(safetyRoutes.myBlocks);
    expect(mine).toMatchObject([{ id: blockId, reason: announced!.reason, appeal: null }]);
    expect(await auditFor('sender_blocked').then((e) => e.filter((x) => x.target_id === sender.userId))).toHaveLength(1);

    // The first admin reviews and confirms the block: they may not decide its appeal.
    await admin.client.request(safetyRoutes.confirmBlock, { params: { block_id: blockId }, body: { note: 'Looks right' } });
    const appeal = await sender.client.request(safetyRoutes.appeal, { body: { block_id: blockId, text: 'It was a quote from a film we were discussing.' } });
    expect(appeal).toMatchObject({ block_id: blockId, status: 'pending', note: null });
    expect((await blockUpdates.count(1))[0]!.appeal).toMatchObject({ id: appeal.id, status: 'pending' });
    expect((await failure(sender.client.request(safetyRoutes.appeal, { body: { block_id: blockId, text: 'again' } }))).code).toBe(90033);

    const queue = await secondAdmin.client.request(safetyRoutes.listAppeals, { query: { status: 'pending' } });
    expect(queue.find((a) => a.id === appeal.id)).toMatchObject({ user: { id: sender.userId }, message_content: HARASSING, acted_by: [admin.userId], block: { id: blockId } });

    const impartial = await failure(admin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: appeal.id }, body: { outcome: 'lift', note: 'ok' } }));
    expect([impartial.status, impartial.code]).toEqual([403, 90031]);

    const decided = await secondAdmin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: appeal.id }, body: { outcome: 'lift', note: 'Context makes this a quote. Lifted.' } });
    expect(decided).toMatchObject({ status: 'lifted', note: 'Context makes this a quote. Lifted.', decided_by: secondAdmin.userId });
    const [lifted] = await blockUpdates.until('the decision', (items) => items.some((b) => b.appeal?.status === 'lifted')).then((items) => items.filter((b) => b.appeal?.status === 'lifted'));
    expect(lifted).toMatchObject({ id: blockId, appeal: { status: 'lifted', note: 'Context makes this a quote. Lifted.' } });
    expect(lifted!.lifted_at).not.toBeNull();
    // The message is released: the minor receives it in full, live and in history.
    expect((await minorUpdates.count(1))[0]).toMatchObject({ id: sent.id, content: HARASSING });
    expect((await minorUpdates.count(1))[0]!.held).toBeUndefined();
    expect((await history(minor, dm.id)).find((m) => m.id === sent.id)).toMatchObject({ content: HARASSING });
    expect((await sender.client.request(safetyRoutes.myBlocks))[0]).toMatchObject({ id: blockId, appeal: { status: 'lifted' } });
    // And access is restored.
    await say(sender, dm.id, 'thank you, sorry for the confusion');
    expect((await failure(secondAdmin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: appeal.id }, body: { outcome: 'uphold', note: 'x' } }))).code).toBe(90035);

    const actions = (await db().selectFrom('instance_audit_log').selectAll().orderBy('id').execute()).filter(
      (e) => [blockId, appeal.id, sent.id, sender.userId].includes(e.target_id!) || (e.details ?? '').includes(blockId),
    );
    expect(actions.map((e) => [e.action, e.actor_id])).toEqual([
      ['message_held', null],
      ['sender_blocked', null],
      ['block_confirm', admin.userId],
      ['appeal_create', sender.userId],
      ['appeal_decide', secondAdmin.userId],
      ['sender_unblocked', secondAdmin.userId],
      ['message_released', secondAdmin.userId],
    ]);
  });

  it('an upheld appeal keeps the block and the hold, and the person reads the note', async () => {
    const minor = await signUpMinor();
    const sender = await signUp(server);
    const { owner, general } = await makeGuild(server);
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await minor.client.request(routes.invites.accept, { params: { code: invite.code } });
    await sender.client.request(routes.invites.accept, { params: { code: invite.code } });
    const sent = await say(sender, general.id, THREAT);
    const blockId = sent.safety_flag!.block_id!;
    // A room block: this channel only.
    expect((await failure(say(sender, general.id, 'hello'))).message).toMatch(/blocked from messaging this conversation/);
    const other = await owner.client.request(routes.channels.create, { params: { guild_id: general.guild_id! }, body: { name: 'other', type: ChannelType.GUILD_TEXT } });
    await say(sender, other.id, 'hello elsewhere');

    const appeal = await sender.client.request(safetyRoutes.appeal, { body: { block_id: blockId, text: 'Just joking' } });
    // The flagged person cannot decide their own appeal, even as an admin would.
    await db()
      .updateTable('users')
      .set({ admin: 1 })
      .where('id', '=', sender.userId as Snowflake)
      .execute();
    expect((await failure(sender.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: appeal.id }, body: { outcome: 'lift', note: 'mine' } }))).code).toBe(90031);
    await db()
      .updateTable('users')
      .set({ admin: 0 })
      .where('id', '=', sender.userId as Snowflake)
      .execute();

    await admin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: appeal.id }, body: { outcome: 'uphold', note: 'Threats are not jokes here.' } });
    expect((await failure(say(sender, general.id, 'hello'))).code).toBe(90030);
    expect((await sender.client.request(safetyRoutes.myBlocks)).find((b) => b.id === blockId)).toMatchObject({ lifted_at: null, appeal: { status: 'upheld', note: 'Threats are not jokes here.' } });
    expect((await history(minor, general.id)).find((m) => m.id === sent.id)).toMatchObject({ held: true, content: '' });
    expect((await admin.client.request(safetyRoutes.listAppeals, { query: { status: 'upheld' } })).map((a) => a.id)).toContain(appeal.id);
  });
});

describe('routes: refused to others, bad input', () => {
  it('classify scores a text for admins against the flag threshold', async () => {
    const harassing = await admin.client.request(safetyRoutes.classify, { body: { content: HARASSING } });
    expect(harassing.flagged).toBe(true);
    expect(harassing.labels.harassment).toBeGreaterThan(0.85);
    expect(Object.keys(harassing.labels).sort()).toEqual(['grooming', 'harassment', 'hate', 'sexual_harassment', 'threat']);
    const benign = await admin.client.request(safetyRoutes.classify, { body: { content: BENIGN } });
    expect(benign.flagged).toBe(false);
    expect(benign.flag_threshold).toBe(0.5);
  });

  it('admin routes are refused to non-admins', async () => {
    const someone = await signUp(server);
    const calls = [
      () => someone.client.request(safetyRoutes.classify, { body: { content: 'hi' } }),
      () => someone.client.request(safetyRoutes.listAppeals, { query: {} }),
      () => someone.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: '1' as Snowflake }, body: { outcome: 'lift', note: 'x' } }),
      () => someone.client.request(safetyRoutes.confirmBlock, { params: { block_id: '1' as Snowflake }, body: {} }),
    ];
    for (const call of calls) expect((await failure(call())).code).toBe(50001);
    expect((await failure(server.client().request(safetyRoutes.myBlocks))).status).toBe(401);
  });

  it('bad bodies and unknown IDs get clear errors', async () => {
    const someone = await signUp(server);
    const invalid = async (promise: Promise<unknown>, field: string) => {
      const error = await failure(promise);
      expect([error.status, error.code]).toEqual([400, 50035]);
      expect(error.problems.map((p) => p.path.join('.'))).toContain(field);
    };
    await invalid(admin.client.request(safetyRoutes.classify, { body: { content: '' } }), 'content');
    await invalid(admin.client.request(safetyRoutes.classify, { body: { content: 'x'.repeat(4001) } }), 'content');
    await invalid(admin.client.request(safetyRoutes.classify, { body: { content: 5 as never } }), 'content');
    await invalid(admin.client.request(safetyRoutes.classify, { body: {} as never }), 'content');
    await invalid(someone.client.request(safetyRoutes.appeal, { body: { block_id: '123' as Snowflake, text: '   ' } }), 'text');
    await invalid(someone.client.request(safetyRoutes.appeal, { body: { block_id: '123' as Snowflake, text: 'x'.repeat(2001) } }), 'text');
    await invalid(someone.client.request(safetyRoutes.appeal, { body: { block_id: 'abc' as Snowflake, text: 'please' } }), 'block_id');
    await invalid(admin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: '1' as Snowflake }, body: { outcome: 'maybe' as never, note: 'x' } }), 'outcome');
    await invalid(admin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: '1' as Snowflake }, body: { outcome: 'lift', note: '' } }), 'note');
    await invalid(admin.client.request(safetyRoutes.listAppeals, { query: { status: 'open' as never } }), 'status');
    await invalid(admin.client.request(safetyRoutes.listAppeals, { query: { limit: 1000 } }), 'limit');
    expect((await failure(someone.client.request(safetyRoutes.appeal, { body: { block_id: '123' as Snowflake, text: 'please' } }))).code).toBe(90032);
    expect((await failure(admin.client.request(safetyRoutes.decideAppeal, { params: { appeal_id: '123' as Snowflake }, body: { outcome: 'lift', note: 'x' } }))).code).toBe(90034);
    expect((await failure(admin.client.request(safetyRoutes.confirmBlock, { params: { block_id: '123' as Snowflake }, body: {} }))).code).toBe(90032);
  });

  it("nobody appeals someone else's block", async () => {
    const minor = await signUpMinor();
    const sender = await signUp(server);
    const sent = await say(sender, (await openDm(sender, minor)).id, HARASSING);
    const stranger = await signUp(server);
    expect((await failure(stranger.client.request(safetyRoutes.appeal, { body: { block_id: sent.safety_flag!.block_id!, text: 'let them go' } }))).code).toBe(90032);
    expect(await stranger.client.request(safetyRoutes.myBlocks)).toEqual([]);
  });
});
