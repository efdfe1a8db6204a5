import { API_PREFIX, AuditLogEvent, ChannelType, Limits, Permissions, type RouteInput, type Snowflake, routes } from '@parley/protocol';
import { reportRoutes } from '@parley/protocol/reports';
import { RestClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, giveRole, joinGuild, makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  // Tests send many messages quickly; the send limit is not what they are about.
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '1000/5' } });
});
afterAll(() => server.close());

const bits = (...names: (keyof typeof Permissions)[]) => String(names.reduce((all, name) => all | Permissions[name], 0n));
const id = (value: string) => value as Snowflake;

/** A new instance admin (made one behind the API's back, as the CLI does). */
async function makeAdmin(): Promise<Person> {
  const admin = await signUp(server);
  await server.db.database.db.updateTable('users').set({ admin: 1 }).where('id', '=', id(admin.userId)).execute();
  return admin;
}

/** A server with a moderator (Manage Messages and Moderate Members, not Kick or Ban), a reporter and an author. */
async function scene() {
  const { owner, guild, general, members } = await makeGuild(server, { members: 3 });
  const [moderator, reporter, author] = members as [Person, Person, Person];
  await giveRole(owner, guild.id, moderator, bits('MANAGE_MESSAGES', 'MODERATE_MEMBERS', 'VIEW_AUDIT_LOG'));
  const say = (who: Person, content: string, channelId = general.id) => who.client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
  return { owner, guild, general, moderator, reporter, author, say };
}

describe('filing a report', () => {
  it('copies the message, answers 201, reaches the server’s moderators and admins live, and never the reported person', async () => {
    const { guild, general, moderator, reporter, author, say } = await scene();
    const admin = await makeAdmin();
    const [modLive, adminLive, authorLive] = await Promise.all([server.connect(moderator.client.token!), server.connect(admin.client.token!), server.connect(author.client.token!)]);
    const toModerator = collect(modLive.gateway, 'REPORT_CREATE');
    const toAdmin = collect(adminLive.gateway, 'REPORT_CREATE');
    const toAuthor = collect(authorLive.gateway, 'REPORT_CREATE');
    await say(author, 'before');
    const rude = await say(author, 'you are worthless');

    const response = await fetch(`${server.url}${API_PREFIX}/reports`, {
      method: 'POST',
      headers: { authorization: reporter.client.token!, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'harassment', message_id: rude.id, channel_id: general.id, note: '  third time today  ' }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string };
    expect(created).toMatchObject({ category: 'harassment', status: 'open', message_id: rude.id, channel_id: general.id, user_id: author.userId, guild_id: guild.id });

    const [live] = await toModerator.count(1);
    expect(live).toMatchObject({ id: created.id, reporter_id: reporter.userId, user_id: author.userId, content: 'you are worthless', note: 'third time today', actions: [], scores: null });
    expect((await toAdmin.count(1))[0]!.id).toBe(created.id);
    // The author hears of what follows the report in the log (their own message's echo), and never of the report.
    const echo = collect(authorLive.gateway, 'MESSAGE_CREATE');
    await say(moderator, 'after');
    await echo.until('the moderator’s message', (items) => items.some((m) => m.content === 'after'));
    expect(toAuthor.items).toEqual([]);

    // Reported again by the same person: the same report, no second one.
    const again = await reporter.client.request(reportRoutes.create, { body: { category: 'spam', message_id: rude.id } });
    expect(again.id).toBe(created.id);
    expect((await moderator.client.request(reportRoutes.list, { query: { guild_id: guild.id } })).map((r) => r.id)).toEqual([created.id]);

    // The reported person cannot see it anywhere; the reporter sees only their own view of it.
    expect(await author.client.request(reportRoutes.list)).toEqual([]);
    expect(await author.client.request(reportRoutes.listMine)).toEqual([]);
    expect((await failure(author.client.request(reportRoutes.get, { params: { report_id: id(created.id) } }))).code).toBe(90040);
    expect(await reporter.client.request(reportRoutes.list)).toEqual([]);
    const mine = await reporter.client.request(reportRoutes.listMine);
    expect(mine).toEqual([expect.objectContaining({ id: created.id, status: 'open', outcome: 'pending', content: 'you are worthless' })]);
    expect(Object.keys(mine[0]!)).not.toContain('resolved_by');
  });

  it('takes a message only from someone who can read it, in channels, threads and DMs', async () => {
    const { owner, guild, general, moderator, reporter, author, say } = await scene();
    const hidden = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'staff', type: ChannelType.GUILD_TEXT, private: true } });
    const secret = await owner.client.request(routes.messages.create, { params: { channel_id: hidden.id }, body: { content: 'staff only' } });
    // Someone else's channel is as unknown as a message that never existed, or one named in the wrong channel.
    expect((await failure(reporter.client.request(reportRoutes.create, { body: { category: 'other', message_id: secret.id } }))).code).toBe(10008);
    expect((await failure(reporter.client.request(reportRoutes.create, { body: { category: 'other', message_id: id('123456789012345678') } }))).code).toBe(10008);
    const visible = await say(author, 'visible');
    expect((await failure(reporter.client.request(reportRoutes.create, { body: { category: 'other', message_id: visible.id, channel_id: hidden.id } }))).code).toBe(10008);
    const outsider = await signUp(server);
    expect((await failure(outsider.client.request(reportRoutes.create, { body: { category: 'other', message_id: visible.id } }))).code).toBe(10008);

    // A thread's message is the server's.
    const thread = await author.client.request(routes.messages.startThread, { params: { channel_id: general.id, message_id: visible.id }, body: { name: 'side' } });
    const inThread = await say(author, 'in the thread', thread.id);
    const threadReport = await reporter.client.request(reportRoutes.create, { body: { category: 'spam', message_id: inThread.id } });
    expect(threadReport).toMatchObject({ guild_id: guild.id, channel_id: thread.id });
    expect((await moderator.client.request(reportRoutes.list)).map((r) => r.id)).toContain(threadReport.id);

    // A DM (a message request, even) is the admins' alone, context included; a guest may report too.
    const guest = server.client((await server.client().request(routes.auth.guest, { body: {} })).token);
    const guestId = (await guest.request(routes.users.getMe)).id;
    const dm = await author.client.request(routes.channels.openDm, { body: { recipient_id: guestId } });
    await author.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'hi there' } });
    const creepy = await author.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'send me a photo' } });
    const dmReport = await guest.request(reportRoutes.create, { body: { category: 'child_sexual_content', message_id: creepy.id } });
    expect(dmReport).toMatchObject({ guild_id: null, channel_id: dm.id, user_id: author.userId });
    expect((await moderator.client.request(reportRoutes.list)).map((r) => r.id)).not.toContain(dmReport.id);
    expect((await failure(moderator.client.request(reportRoutes.get, { params: { report_id: dmReport.id } }))).code).toBe(90040);
    const admin = await makeAdmin();
    const detail = await admin.client.request(reportRoutes.get, { params: { report_id: dmReport.id } });
    expect(detail.context?.map((m) => m.content)).toEqual(['hi there', 'send me a photo']);
    expect(detail.available_actions).toEqual(['dismiss', 'delete', 'suspend']);

    // A person: the admins' too.
    const personReport = await reporter.client.request(reportRoutes.create, { body: { category: 'threat', user_id: id(author.userId), note: 'DMs me threats' } });
    expect(personReport).toMatchObject({ guild_id: null, message_id: null, user_id: author.userId });
    expect((await admin.client.request(reportRoutes.list, { query: { status: 'open' } })).map((r) => r.id)).toEqual(expect.arrayContaining([dmReport.id, personReport.id, threadReport.id]));
    expect((await moderator.client.request(reportRoutes.list)).map((r) => r.id)).not.toContain(personReport.id);
    // Still open: the same person reported again gets the same report.
    expect((await reporter.client.request(reportRoutes.create, { body: { category: 'threat', user_id: id(author.userId) } })).id).toBe(personReport.id);
  });

  it('refuses bad input clearly, bots, reporting yourself, and floods', async () => {
    const { general, reporter, author, say } = await scene();
    const message = await say(author, 'hello');
    const bad = async (body: unknown) => {
      const error = await failure(reporter.client.request(reportRoutes.create, { body: body as never }));
      expect([error.status, error.code]).toEqual([400, 50035]);
      return error;
    };
    const problems = (e: Awaited<ReturnType<typeof bad>>) => JSON.stringify(e.problems);
    expect(problems(await bad({ category: 'harassment' }))).toContain('message_id');
    expect(problems(await bad({ category: 'harassment', channel_id: general.id }))).toContain('channel_id');
    expect(problems(await bad({ category: 'rudeness', message_id: message.id }))).toContain('category');
    expect(problems(await bad({ category: 'spam', message_id: message.id, note: 'x'.repeat(Limits.reportNoteMax + 1) }))).toContain('note');
    expect(problems(await bad({ category: 'spam', message_id: message.id, note: 'nul\u0000' }))).toContain('note');
    expect(problems(await bad({ category: 'spam', message_id: 'not-an-id' }))).toContain('message_id');
    expect(problems(await bad({ category: 'spam', message_id: message.id, user_id: reporter.userId }))).toContain('user_id');
    expect(problems(await bad({ category: 'spam', user_id: reporter.userId }))).toContain('yourself');
    const own = await say(reporter, 'mine');
    expect(problems(await bad({ category: 'spam', message_id: own.id }))).toContain('own message');
    expect((await failure(reporter.client.request(reportRoutes.create, { body: { category: 'spam', user_id: id('123456789012345678') } }))).code).toBe(10013);
    expect((await failure(server.client().request(reportRoutes.create, { body: { category: 'spam', user_id: id(author.userId) } }))).status).toBe(401);
    expect((await failure(reporter.client.request(reportRoutes.list, { query: { limit: 101 } as never }))).code).toBe(50035);
    expect((await failure(reporter.client.request(reportRoutes.list, { query: { status: 'closed' } as never }))).code).toBe(50035);

    // Bots do not report.
    const application = await author.client.request(routes.applications.create, { body: { name: 'Reporter bot' } });
    const { token } = await author.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: author.password } });
    const bot = new RestClient({ baseUrl: server.url, token: `Bot ${token}` });
    expect((await failure(bot.request(reportRoutes.create, { body: { category: 'spam', user_id: id(reporter.userId) } }))).code).toBe(20001);

    // Ten reports in ten minutes, then 429 (the one already filed was free: it is the same report).
    const spammer = await joinGuild(server, author, general.id);
    for (let i = 0; i < 10; i++) {
      const target = await say(author, `message ${i}`);
      await spammer.client.request(reportRoutes.create, { body: { category: 'spam', message_id: target.id } });
    }
    const first = (await spammer.client.request(reportRoutes.listMine))[9]!;
    expect((await spammer.client.request(reportRoutes.create, { body: { category: 'spam', message_id: first.message_id! } })).id).toBe(first.id);
    const limited = await failure(spammer.client.request(reportRoutes.create, { body: { category: 'spam', message_id: message.id } }));
    expect(limited.status).toBe(429);
  });
});

describe('the review queue', () => {
  it('shows a moderator the message in context, the people, earlier reports and what they may do', async () => {
    const { owner, guild, moderator, reporter, author, say } = await scene();
    for (let i = 1; i <= 6; i++) await say(author, `before ${i}`);
    const rude = await say(author, 'the rude one');
    for (let i = 1; i <= 6; i++) await say(reporter, `after ${i}`);
    const earlier = await say(author, 'another rude one');
    const second = await joinGuild(server, owner, (await owner.client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } }))[0]!.id);
    const older = await second.client.request(reportRoutes.create, { body: { category: 'spam', message_id: earlier.id } });
    const report = await reporter.client.request(reportRoutes.create, { body: { category: 'harassment', message_id: rude.id } });
    // A report about them elsewhere (a DM, the admins') is not this moderator's to see.
    await reporter.client.request(reportRoutes.create, { body: { category: 'threat', user_id: id(author.userId) } });

    const detail = await moderator.client.request(reportRoutes.get, { params: { report_id: report.id } });
    expect(detail.report).toMatchObject({ id: report.id, content: 'the rude one', status: 'open' });
    expect(detail.message?.id).toBe(rude.id);
    expect(detail.message_deleted).toBe(false);
    expect(detail.context?.map((m) => m.content)).toEqual(['before 2', 'before 3', 'before 4', 'before 5', 'before 6', 'the rude one', 'after 1', 'after 2', 'after 3', 'after 4', 'after 5']);
    expect(detail.reporter?.id).toBe(reporter.userId);
    expect(detail.reported?.id).toBe(author.userId);
    expect(detail.earlier_reports).toEqual({ count: 1, reports: [expect.objectContaining({ id: older.id })] });
    expect(detail.available_actions).toEqual(['dismiss', 'delete', 'timeout']);
    expect(detail.guild_name).toBe('Test Server');
    expect(detail.channel_name).toBe('general');
    expect(detail.history).toEqual([]);

    // A classifier's report (filed by the safety policy) shows its scores and no reporter.
    const classifierId = id('999000999000999000');
    await server.db.database.db
      .insertInto('reports')
      .values({
        id: classifierId,
        reporter_id: null,
        category: 'harassment',
        user_id: id(author.userId),
        message_id: rude.id,
        channel_id: rude.channel_id,
        guild_id: guild.id,
        note: null,
        content: rude.content,
        scores: JSON.stringify({ harassment: 0.93 }),
        status: 'open',
        resolved_by: null,
        resolution: null,
        resolution_reason: null,
        resolved_at: null,
        created_at: Date.now(),
      })
      .execute();
    const flagged = await moderator.client.request(reportRoutes.get, { params: { report_id: classifierId } });
    expect(flagged.report.scores).toEqual({ harassment: 0.93 });
    expect(flagged.reporter).toBeNull();
    expect(flagged.earlier_reports.count).toBe(2);
  });

  it('keeps each server’s moderators to their own server’s reports', async () => {
    const a = await scene();
    const b = await scene();
    const reportA = await a.reporter.client.request(reportRoutes.create, { body: { category: 'spam', message_id: (await a.say(a.author, 'buy now')).id } });
    const reportB = await b.reporter.client.request(reportRoutes.create, { body: { category: 'spam', message_id: (await b.say(b.author, 'buy later')).id } });
    expect((await a.moderator.client.request(reportRoutes.list)).map((r) => r.id)).toEqual([reportA.id]);
    expect((await b.moderator.client.request(reportRoutes.list)).map((r) => r.id)).toEqual([reportB.id]);
    expect(await a.moderator.client.request(reportRoutes.list, { query: { guild_id: b.guild.id } })).toEqual([]);
    expect((await failure(a.moderator.client.request(reportRoutes.get, { params: { report_id: reportB.id } }))).code).toBe(90040);
    expect((await failure(a.moderator.client.request(reportRoutes.act, { params: { report_id: reportB.id }, body: { action: 'dismiss', reason: 'not mine' } }))).code).toBe(90040);
    // The owner moderates by owning; a member with Kick Members alone does too.
    expect((await a.owner.client.request(reportRoutes.list)).map((r) => r.id)).toEqual([reportA.id]);
    const kicker = await joinGuild(server, a.owner, a.general.id);
    await giveRole(a.owner, a.guild.id, kicker, bits('KICK_MEMBERS'), 'Kickers');
    expect((await kicker.client.request(reportRoutes.list)).map((r) => r.id)).toEqual([reportA.id]);
    // A moderator reported in their own server does not see that report.
    const aboutModerator = await a.reporter.client.request(reportRoutes.create, { body: { category: 'harassment', message_id: (await a.say(a.moderator, 'mod abuse')).id } });
    expect((await a.moderator.client.request(reportRoutes.list)).map((r) => r.id)).not.toContain(aboutModerator.id);
    expect((await a.owner.client.request(reportRoutes.list)).map((r) => r.id)).toContain(aboutModerator.id);
    // Filters and pages.
    expect((await a.owner.client.request(reportRoutes.list, { query: { status: 'dismissed' } })).length).toBe(0);
    expect((await a.owner.client.request(reportRoutes.list, { query: { limit: 1 } })).map((r) => r.id)).toEqual([aboutModerator.id]);
    expect((await a.owner.client.request(reportRoutes.list, { query: { before: aboutModerator.id } })).map((r) => r.id)).toEqual([reportA.id]);
  });
});

describe('acting on a report', () => {
  it('deletes and times out as by hand (audit log, events), resolves it, and tells the reporter only that it was handled', async () => {
    const { guild, general, moderator, reporter, author, say } = await scene();
    const admin = await makeAdmin();
    const [modLive, reporterLive, authorLive] = await Promise.all([server.connect(moderator.client.token!), server.connect(reporter.client.token!), server.connect(author.client.token!)]);
    const updates = collect(modLive.gateway, 'REPORT_UPDATE');
    const told = collect(reporterLive.gateway, 'OWN_REPORT_UPDATE');
    const deleted = collect(reporterLive.gateway, 'MESSAGE_DELETE');
    const memberUpdates = collect(authorLive.gateway, 'GUILD_MEMBER_UPDATE');
    const rude = await say(author, 'you are worthless');
    const report = await reporter.client.request(reportRoutes.create, { body: { category: 'harassment', message_id: rude.id } });
    const act = (who: Person, body: RouteInput<typeof reportRoutes.act>['body']) => who.client.request(reportRoutes.act, { params: { report_id: report.id }, body });

    // Bad input.
    const badAct = async (body: unknown) => expect((await failure(moderator.client.request(reportRoutes.act, { params: { report_id: report.id }, body: body as never }))).code).toBe(50035);
    await badAct({ action: 'delete' });
    await badAct({ action: 'delete', reason: '   ' });
    await badAct({ action: 'timeout', reason: 'x' });
    await badAct({ action: 'timeout', reason: 'x', duration_seconds: 29 * 86_400 });
    await badAct({ action: 'kick', reason: 'x', duration_seconds: 60 });
    await badAct({ action: 'shame', reason: 'x' });
    await badAct({ action: 'delete', reason: 'x'.repeat(Limits.auditReasonMax + 1) });

    // Without Ban Members or Kick Members, the queue bans and kicks no more than by hand; suspending is for admins.
    for (const action of ['ban', 'kick', 'suspend'] as const) expect((await failure(act(moderator, { action, reason: 'try' }))).code).toBe(50013);
    expect((await moderator.client.request(reportRoutes.get, { params: { report_id: report.id } })).report.status).toBe('open');

    const afterDelete = await act(moderator, { action: 'delete', reason: 'Insult' });
    expect(afterDelete).toMatchObject({ status: 'resolved', actions: ['delete'], resolved_by: moderator.userId, resolution_reason: 'Insult' });
    await deleted.until('the message deleted', (items) => items.some((d) => d.id === rude.id));
    const [news] = await told.count(1);
    expect(news).toEqual({
      id: report.id,
      category: 'harassment',
      status: 'resolved',
      outcome: 'action_taken',
      message_id: rude.id,
      channel_id: general.id,
      user_id: author.userId,
      content: 'you are worthless',
      created_at: expect.any(String),
      resolved_at: expect.any(String),
    });

    const afterTimeout = await act(moderator, { action: 'timeout', reason: 'Cool off', duration_seconds: 3600 });
    expect(afterTimeout.actions).toEqual(['delete', 'timeout']);
    await memberUpdates.until('the timeout', (items) => items.some((m) => m.user.id === author.userId && m.communication_disabled_until !== null));
    await updates.count(2);
    expect(updates.items.map((u) => u.actions)).toEqual([['delete'], ['delete', 'timeout']]);
    // Timed out: the author may not send.
    expect((await failure(say(author, 'still here'))).status).toBe(403);

    // The guild's audit log has both, by the moderator, with their reasons.
    const log = await moderator.client.request(routes.auditLog.list, { params: { guild_id: guild.id } });
    expect(log.audit_log_entries.slice(0, 2)).toMatchObject([
      { action_type: AuditLogEvent.MEMBER_UPDATE, user_id: moderator.userId, target_id: author.userId, reason: 'Cool off' },
      { action_type: AuditLogEvent.MESSAGE_DELETE, user_id: moderator.userId, target_id: author.userId, reason: 'Insult' },
    ]);
    // The instance audit log too, and the report's history.
    const instanceLog = await server.db.database.db.selectFrom('instance_audit_log').selectAll().where('target_id', '=', report.id).orderBy('id').execute();
    expect(instanceLog.map((e) => [e.action, e.actor_id, e.reason])).toEqual([
      ['report_resolve', moderator.userId, 'Insult'],
      ['report_resolve', moderator.userId, 'Cool off'],
    ]);
    const detail = await admin.client.request(reportRoutes.get, { params: { report_id: report.id } });
    expect(detail.history.map((h) => [h.action, h.actor?.id, h.reason])).toEqual([
      ['delete', moderator.userId, 'Insult'],
      ['timeout', moderator.userId, 'Cool off'],
    ]);
    expect(detail.message_deleted).toBe(true);
    expect(detail.message).toBeNull();
    // The reporter was told once, and their list says only that action was taken.
    expect(told.items.length).toBe(1);
    expect(await reporter.client.request(reportRoutes.listMine)).toEqual([expect.objectContaining({ id: report.id, outcome: 'action_taken' })]);
    // Handled already: nothing to dismiss.
    expect((await failure(act(moderator, { action: 'dismiss', reason: 'never mind' }))).code).toBe(50035);
  });

  it('dismisses, bans with Ban Members, and lets only admins suspend and act on DMs', async () => {
    const { owner, general, reporter, author, say } = await scene();
    const admin = await makeAdmin();
    const reporterLive = await server.connect(reporter.client.token!);
    const told = collect(reporterLive.gateway, 'OWN_REPORT_UPDATE');
    const report = await reporter.client.request(reportRoutes.create, { body: { category: 'spam', message_id: (await say(author, 'meh')).id } });
    expect(await owner.client.request(reportRoutes.act, { params: { report_id: report.id }, body: { action: 'dismiss', reason: 'Not spam' } })).toMatchObject({
      status: 'dismissed',
      actions: ['dismiss'],
    });
    expect((await told.count(1))[0]).toMatchObject({ id: report.id, status: 'dismissed', outcome: 'no_action' });

    // An admin who is not in the server has no server powers there, but may delete the message.
    const second = await reporter.client.request(reportRoutes.create, { body: { category: 'spam', message_id: (await say(author, 'buy now')).id } });
    expect((await failure(admin.client.request(reportRoutes.act, { params: { report_id: second.id }, body: { action: 'timeout', reason: 'x', duration_seconds: 60 } }))).code).toBe(50013);
    expect((await admin.client.request(reportRoutes.act, { params: { report_id: second.id }, body: { action: 'delete', reason: 'Spam' } })).status).toBe('resolved');
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.content)).not.toContain('buy now');

    // The owner bans through the queue; the author is gone from the server.
    const third = await reporter.client.request(reportRoutes.create, { body: { category: 'threat', message_id: (await say(author, 'watch out')).id } });
    await owner.client.request(reportRoutes.act, { params: { report_id: third.id }, body: { action: 'ban', reason: 'Threats', delete_message_seconds: 3600 } });
    expect((await owner.client.request(routes.moderation.getBan, { params: { guild_id: general.guild_id!, user_id: id(author.userId) } })).reason).toBe('Threats');
    expect((await owner.client.request(routes.messages.list, { params: { channel_id: general.id } })).map((m) => m.content)).not.toContain('meh');

    // A DM report, suspended by an admin: every session of the account ends.
    const dm = await author.client.request(routes.channels.openDm, { body: { recipient_id: reporter.userId } });
    const dmMessage = await author.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'I know where you live' } });
    const dmReport = await reporter.client.request(reportRoutes.create, { body: { category: 'threat', message_id: dmMessage.id } });
    expect((await failure(owner.client.request(reportRoutes.act, { params: { report_id: dmReport.id }, body: { action: 'suspend', reason: 'x' } }))).code).toBe(90040);
    expect((await failure(admin.client.request(reportRoutes.act, { params: { report_id: dmReport.id }, body: { action: 'kick', reason: 'x' } }))).code).toBe(50035);
    expect(await admin.client.request(reportRoutes.act, { params: { report_id: dmReport.id }, body: { action: 'suspend', reason: 'Threats in DMs' } })).toMatchObject({
      status: 'resolved',
      actions: ['suspend'],
    });
    expect((await failure(author.client.request(routes.users.getMe))).status).toBe(401);
    const disabled = await server.db.database.db.selectFrom('users').select('disabled_at').where('id', '=', id(author.userId)).executeTakeFirstOrThrow();
    expect(disabled.disabled_at).not.toBeNull();
  });
});
