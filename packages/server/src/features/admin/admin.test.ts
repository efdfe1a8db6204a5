import { GatewayCloseCode, type RouteDef, type Snowflake, buildPath, routes } from '@parley/protocol';
import { AdminLimits, adminRoutes } from '@parley/protocol/admin';
import { type RestClient, sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../cli/commands';
import { makeAdmin } from '../../testing/admin';
import { failure, makeGuild, signUp, uniqueName } from '../../testing/fixtures';
import { TestMailServer, linkToken } from '../../testing/mail';
import { RawGateway } from '../../testing/raw-gateway';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * The admin portal's API on a real server: who may call it, accounts (search, view, create,
 * disable, sign out, reset, delete), provisioning by CSV or JSON, the instance audit log, and
 * birth dates at sign-up. Statistics: stats.test.ts.
 */

let server: TestServer;
let admin: RestClient;
let adminId: Snowflake;

beforeAll(async () => {
  server = await startTestServer();
  ({ client: admin, id: adminId } = await makeAdmin(server));
});
afterAll(() => server.close());

const login = (name: string, password: string) => server.client().request(routes.auth.login, { body: { login: name, password } });
const address = (prefix = 'student') => `${uniqueName(prefix)}@school.test`;
const csvFile = (text: string, name = 'students.csv') => new File([text], name, { type: 'text/csv' });

/** Someone signed in with a raw gateway connection, past READY. */
async function online(token: string): Promise<RawGateway> {
  const gateway = await RawGateway.open(server.url);
  gateway.identify(token);
  await gateway.dispatch('READY');
  return gateway;
}

describe('who may call the admin API', () => {
  const params = { user_id: '1' };
  const bodies: Partial<Record<keyof typeof adminRoutes, unknown>> = {
    createUser: { username: 'nobody_here' },
    updateUser: { minor: true },
    resetUserPassword: { mode: 'one_time' },
    importUsers: { users: [{ email: 'x@y.test' }] },
  };
  const all = Object.entries(adminRoutes) as [keyof typeof adminRoutes, RouteDef][];

  it('every admin route declares auth admin', () => {
    expect(all.filter(([, def]) => def.auth !== 'admin').map(([name]) => name)).toEqual([]);
    expect(routes.instance.getSettings.auth).toBe('admin');
  });

  for (const [name, def] of all) {
    it(`${def.method} ${def.path} (${name}): 403 for a signed-in person who is not an admin, 401 for nobody`, async () => {
      const person = await signUp(server);
      const url = `/api/v10${buildPath(def.path, def.params ? params : undefined)}`;
      const body = bodies[name];
      const asPerson = await server.app.inject({ method: def.method, url, headers: { authorization: person.client.token! }, ...(body ? { payload: body as object } : {}) });
      expect(asPerson.statusCode, `${name} as a person`).toBe(403);
      expect(asPerson.json()).toMatchObject({ code: 50001 });
      const anonymous = await server.app.inject({ method: def.method, url, ...(body ? { payload: body as object } : {}) });
      expect(anonymous.statusCode).toBe(401);
    });
  }
});

describe('accounts', () => {
  it('searches by username, display name or address, case-insensitively, newest first, in pages', async () => {
    const tag = uniqueName('zeb').replace('_', '');
    const a = await signUp(server, { username: `${tag}_one`, email: `first.${tag}@Uni.test`, global_name: 'Ada Lovelace' });
    const b = await signUp(server, { username: `${tag}_two`, global_name: `Grace ${tag.toUpperCase()}` });
    const found = await admin.request(adminRoutes.listUsers, { query: { query: tag.toUpperCase() } });
    expect(found.map((u) => u.id)).toEqual([b.userId, a.userId]);
    expect(found[1]).toMatchObject({ username: `${tag}_one`, email: `first.${tag}@uni.test`, admin: false, minor: false, disabled: false });
    expect((await admin.request(adminRoutes.listUsers, { query: { query: `first.${tag}@` } })).map((u) => u.id)).toEqual([a.userId]);
    const page = await admin.request(adminRoutes.listUsers, { query: { query: tag, limit: 1 } });
    expect(page.map((u) => u.id)).toEqual([b.userId]);
    expect((await admin.request(adminRoutes.listUsers, { query: { query: tag, before: b.userId as Snowflake } })).map((u) => u.id)).toEqual([a.userId]);
    // LIKE's wildcards are plain characters here.
    expect(await admin.request(adminRoutes.listUsers, { query: { query: '%_%' } })).toEqual([]);
  });

  it('refuses bad queries clearly', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=many', `query=${'x'.repeat(101)}`, 'before=abc']) {
      const response = await server.app.inject({ method: 'GET', url: `/api/v10/admin/users?${query}`, headers: { authorization: admin.token! } });
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ code: 50035 });
    }
  });

  it('shows one account with its sessions, servers and reports about them', async () => {
    const { owner, guild } = await makeGuild(server, { name: 'Chess club' });
    await login(owner.username, owner.password);
    const db = server.db.database.db;
    await db
      .insertInto('reports')
      .values({
        id: '9000000000000001' as Snowflake,
        reporter_id: adminId,
        category: 'spam',
        user_id: owner.userId as Snowflake,
        message_id: null,
        channel_id: null,
        guild_id: null,
        note: 'posts ads',
        content: null,
        scores: null,
        resolved_by: null,
        resolution: null,
        resolution_reason: null,
        resolved_at: null,
        created_at: Date.now(),
      })
      .execute();
    const detail = await admin.request(adminRoutes.getUser, { params: { user_id: owner.userId } });
    expect(detail).toMatchObject({ id: owner.userId, username: owner.username, disabled_at: null });
    expect(detail.sessions).toHaveLength(2);
    expect(detail.servers).toEqual([{ id: guild.id, name: 'Chess club', owner: true }]);
    expect(detail.reports).toEqual([expect.objectContaining({ category: 'spam', note: 'posts ads', reporter_id: adminId, status: 'open' })]);
    expect((await failure(admin.request(adminRoutes.getUser, { params: { user_id: '42' } }))).code).toBe(10013);
  });

  it('creates an account with a one-time password that must be replaced', async () => {
    const username = uniqueName('new');
    const created = await admin.request(adminRoutes.createUser, { body: { username, global_name: 'New Person', minor: true }, reason: 'joined the class' });
    expect(created.user).toMatchObject({ username, global_name: 'New Person', minor: true, admin: false, password_change_required: true });
    expect(created.emailed).toBe(false);
    const { token } = sessionOf(await login(username, created.password!));
    expect((await failure(server.client(token).request(routes.guilds.create, { body: { name: 'Mine' } }))).code).toBe(90004);
    await server.client(token).request(routes.users.updateMe, { body: { password: created.password!, new_password: 'my own password' } });
    await server.client(token).request(routes.users.getMe);

    const [entry] = await admin.request(adminRoutes.auditLog, { query: { action: 'user_create', limit: 1 } });
    expect(entry).toMatchObject({ actor_id: adminId, target_type: 'user', target_id: created.user.id, reason: 'joined the class' });
    // Named as the admin portal shows them, not only by ID.
    expect(entry!.target_name).toBe(`New Person (@${username})`);
    expect(entry!.actor_name).toMatch(/\(@.+\)$/);

    const taken = await failure(admin.request(adminRoutes.createUser, { body: { username } }));
    expect(taken.problems[0]).toMatchObject({ path: ['username'], code: 'USERNAME_ALREADY_TAKEN' });
    const bad = await failure(admin.request(adminRoutes.createUser, { body: { username: 'no spaces allowed', email: 'not-an-address' } as never }));
    expect(bad.problems.map((p) => p.path[0]).sort()).toEqual(['email', 'username']);
  });

  it('disables: open connections close at once, sign-in is refused (90022); enabling restores it', async () => {
    const person = await signUp(server);
    const gateway = await online(person.client.token!);
    const updated = await admin.request(adminRoutes.updateUser, { params: { user_id: person.userId }, body: { disabled: true }, reason: 'under investigation' });
    expect(updated.disabled).toBe(true);
    expect(await gateway.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
    expect((await failure(person.client.request(routes.users.getMe))).status).toBe(401);
    expect(await failure(login(person.username, person.password))).toMatchObject({ status: 403, code: 90022 });
    expect((await admin.request(adminRoutes.getUser, { params: { user_id: person.userId } })).disabled_at).not.toBeNull();

    await admin.request(adminRoutes.updateUser, { params: { user_id: person.userId }, body: { disabled: false } });
    sessionOf(await login(person.username, person.password));
    const log = await admin.request(adminRoutes.auditLog, { query: { limit: 5 } });
    expect(log.slice(0, 2).map((e) => [e.action, e.target_id])).toEqual([
      ['user_enable', person.userId],
      ['user_disable', person.userId],
    ]);
    expect(log[1]!.reason).toBe('under investigation');
  });

  it('marks minors and makes or removes admins; an admin cannot disable or demote themself; the last admin stays', async () => {
    const person = await signUp(server);
    expect(await admin.request(adminRoutes.updateUser, { params: { user_id: person.userId }, body: { minor: true, admin: true } })).toMatchObject({ minor: true, admin: true });
    // Now an admin: the portal is theirs too.
    await person.client.request(adminRoutes.stats);
    expect((await failure(admin.request(adminRoutes.updateUser, { params: { user_id: adminId }, body: { admin: false } }))).code).toBe(90060);
    expect((await failure(admin.request(adminRoutes.updateUser, { params: { user_id: adminId }, body: { disabled: true } }))).code).toBe(90060);
    expect((await failure(admin.request(adminRoutes.deleteUser, { params: { user_id: adminId } }))).code).toBe(90060);
    expect((await failure(admin.request(adminRoutes.updateUser, { params: { user_id: person.userId }, body: {} }))).code).toBe(50035);

    // Two admins demoting each other at once: one wins, and one admin is left.
    const results = await Promise.allSettled([
      admin.request(adminRoutes.updateUser, { params: { user_id: person.userId }, body: { admin: false } }),
      person.client.request(adminRoutes.updateUser, { params: { user_id: adminId }, body: { admin: false } }),
    ]);
    const db = server.db.database.db;
    const admins = await db
      .selectFrom('users')
      .select('id')
      .where('admin', '=', 1)
      .where('id', 'in', [adminId, person.userId as Snowflake])
      .execute();
    expect(admins).toHaveLength(1);
    // The loser is refused: as the last admin (both checked at once), or as no longer an admin (the winner was first).
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect([90061, 50001]).toContain((refused[0]!.reason as { code: number }).code);
    // Put things back for the other tests.
    if (admins[0]!.id !== adminId) await db.updateTable('users').set({ admin: 1 }).where('id', '=', adminId).execute();
  });

  it('signs out everywhere: sessions end and connections close at once', async () => {
    const person = await signUp(server);
    const gateway = await online(person.client.token!);
    await admin.request(adminRoutes.signOutUser, { params: { user_id: person.userId } });
    expect(await gateway.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
    expect((await failure(person.client.request(routes.users.getMe))).status).toBe(401);
    sessionOf(await login(person.username, person.password));
  });

  it('resets a password to a one-time password: sessions end, the old password stops working', async () => {
    const person = await signUp(server);
    const gateway = await online(person.client.token!);
    const { password } = await admin.request(adminRoutes.resetUserPassword, { params: { user_id: person.userId }, body: { mode: 'one_time' } });
    expect(await gateway.closeCode()).toBe(GatewayCloseCode.AUTHENTICATION_FAILED);
    expect((await failure(login(person.username, person.password))).problems[0]?.code).toBe('INVALID_LOGIN');
    const { token } = sessionOf(await login(person.username, password!));
    expect((await failure(server.client(token).request(routes.guilds.create, { body: { name: 'Mine' } }))).code).toBe(90004);
    // Without mail, the e-mail way is refused clearly.
    expect((await failure(admin.request(adminRoutes.resetUserPassword, { params: { user_id: person.userId }, body: { mode: 'email' } }))).code).toBe(90011);
    expect((await failure(admin.request(adminRoutes.resetUserPassword, { params: { user_id: person.userId }, body: { mode: 'sms' } as never }))).code).toBe(50035);
  });

  it('deletes an account (its messages stay under "Deleted user"), but not one that owns servers', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const member = members[0]!;
    await member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'bye all' } });
    expect((await failure(admin.request(adminRoutes.deleteUser, { params: { user_id: owner.userId } }))).code).toBe(40011);
    await admin.request(adminRoutes.deleteUser, { params: { user_id: member.userId }, reason: 'left the school' });
    const [message] = await owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(message).toMatchObject({ content: 'bye all', author: { global_name: 'Deleted user' } });
    expect(await failure(login(member.username, member.password))).toMatchObject({ status: 400 });
    expect((await admin.request(adminRoutes.getUser, { params: { user_id: member.userId } })).deleted).toBe(true);
    expect((await failure(admin.request(adminRoutes.deleteUser, { params: { user_id: member.userId } }))).code).toBe(10013);
    const [entry] = await admin.request(adminRoutes.auditLog, { query: { action: 'user_delete', limit: 1 } });
    expect(entry).toMatchObject({ target_id: member.userId, reason: 'left the school', details: { username: member.username } });
  });
});

describe('provisioning', () => {
  it('imports a JSON list: usernames from the addresses, collisions numbered, one-time passwords, minors; re-running creates nothing', async () => {
    const tag = uniqueName('ada').replace('_', '');
    await signUp(server, { username: tag });
    const users = [{ email: `${tag}@school.test`, name: 'Ada One', minor: true }, { email: `${tag.toUpperCase()}@other.test` }, { email: `Zoe-Smith.${tag}@school.test` }];
    const result = await admin.request(adminRoutes.importUsers, { body: { users } });
    expect(result.delivery).toBe('download');
    expect(result.skipped).toEqual([]);
    expect(result.created.map((c) => c.username)).toEqual([`${tag}2`, `${tag}3`, `zoe_smith.${tag}`]);
    expect(result.created.map((c) => c.email)).toEqual([`${tag}@school.test`, `${tag}@other.test`, `zoe-smith.${tag}@school.test`]);
    const first = await admin.request(adminRoutes.getUser, { params: { user_id: result.created[0]!.id } });
    expect(first).toMatchObject({ global_name: 'Ada One', minor: true, password_change_required: true });

    // The one-time password signs in, and must be replaced first.
    const { token } = sessionOf(await login(result.created[1]!.email, result.created[1]!.password!));
    expect((await failure(server.client(token).request(routes.guilds.create, { body: { name: 'Mine' } }))).code).toBe(90004);

    const again = await admin.request(adminRoutes.importUsers, { body: { users } });
    expect(again.created).toEqual([]);
    expect(again.skipped.map((s) => [s.line, s.reason])).toEqual([
      [1, 'An account with this address already exists'],
      [2, 'An account with this address already exists'],
      [3, 'An account with this address already exists'],
    ]);
    const [entry] = await admin.request(adminRoutes.auditLog, { query: { action: 'user_import', limit: 1 } });
    expect(entry).toMatchObject({ actor_id: adminId, details: { created: 0, skipped: 3, delivery: 'download' } });
  });

  it('skips bad rows with their reasons: invalid addresses, duplicates in the list, bad flags', async () => {
    const good = address();
    const result = await admin.request(adminRoutes.importUsers, {
      body: { users: [{ email: good }, { email: 'not an address' }, { email: good.toUpperCase() }, { email: '' }, { email: address(), minor: 'maybe' }, { email: address(), name: 'x'.repeat(33) }] },
    });
    expect(result.created.map((c) => c.email)).toEqual([good]);
    expect(result.skipped.map((s) => [s.line, s.reason])).toEqual([
      [2, 'Not a valid e-mail address'],
      [3, 'Appears twice in this list (first on line 1)'],
      [4, 'No e-mail address'],
      [5, 'minor must be yes or no (1/0, true/false)'],
      [6, expect.stringMatching(/^name: /)],
    ]);
    // An entry that is not an object with an address is a malformed request, not a row.
    for (const users of [[{}], ['just a string'], [{ email: 42 }]]) {
      const error = await failure(admin.request(adminRoutes.importUsers, { body: { users } as never }));
      expect(error.problems[0]?.path.slice(0, 2)).toEqual(['users', '0']);
    }
  });

  it('imports a CSV file (header, quotes, minor flags) sent as files[0]', async () => {
    const [a, b, c] = [address('csv'), address('csv'), address('csv')];
    const text = `\uFEFFemail,name,minor\r\n${a},"Doe, Jane",yes\r\n\r\n${b},,0\r\n${c},"Quote ""Q"" Person",\r\nbroken-address,Someone,1\r\n`;
    const result = await admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(text)] });
    expect(result.created.map((r) => r.email)).toEqual([a, b, c]);
    expect(result.skipped).toEqual([{ email: 'broken-address', line: 6, reason: 'Not a valid e-mail address' }]);
    const jane = await admin.request(adminRoutes.getUser, { params: { user_id: result.created[0]!.id } });
    expect(jane).toMatchObject({ global_name: 'Doe, Jane', minor: true });
    expect(await admin.request(adminRoutes.getUser, { params: { user_id: result.created[2]!.id } })).toMatchObject({ global_name: 'Quote "Q" Person', minor: false });
    // Without a header the columns are email, name, minor.
    const d = address('csv');
    const plain = await admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(`${d},Dee,true\n${a}\n`)] });
    expect(plain.created.map((r) => r.email)).toEqual([d]);
    expect(plain.skipped).toEqual([{ email: a, line: 2, reason: 'An account with this address already exists' }]);
  });

  it('refuses malformed CSV and mixed or empty requests with a clear 400', async () => {
    const cases: [string, RegExp][] = [
      [`email\n"${address()},Unclosed\n`, /line 2: a quoted field is never closed/],
      [`email,name\n${address()},"Jo"e\n`, /line 2: text after a closing quote/],
      [`email,name\n${address()},Jo"e\n`, /line 2: a quote inside an unquoted field/],
      [`email,phone\n${address()},123\n`, /unknown column "phone"/],
      ['\u0000\u0001binary', /not a text file/],
    ];
    for (const [text, message] of cases) {
      const error = await failure(admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(text)] }));
      expect(error.status, text).toBe(400);
      expect(error.message).toMatch(message);
    }
    expect((await failure(admin.request(adminRoutes.importUsers, { body: { users: [] }, files: [csvFile(address())] }))).message).toMatch(/either a CSV file or a users list/);
    expect((await failure(admin.request(adminRoutes.importUsers, { body: {} }))).message).toMatch(/Send a CSV file/);
    expect((await failure(admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile('a'), csvFile('b')] }))).code).toBe(50035);
    expect((await failure(admin.request(adminRoutes.importUsers, { body: { users: [], delivery: 'email' } }))).code).toBe(90011);
  });

  it(`creates ${AdminLimits.importMaxUsers.toLocaleString('en')} accounts from one CSV within the limits, and refuses more`, { timeout: 180_000 }, async () => {
    const tag = uniqueName('bulk').replace('_', '');
    const lines = Array.from({ length: AdminLimits.importMaxUsers }, (_, i) => `s${i}.${tag}@uni.test,Student ${i},${i % 3 === 0 ? 1 : 0}`);
    const text = `email,name,minor\n${lines.join('\n')}\n`;
    expect(text.length).toBeLessThan(AdminLimits.importMaxCsvBytes);
    const started = performance.now();
    const result = await admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(text)] });
    const seconds = (performance.now() - started) / 1000;
    console.log(`import of ${AdminLimits.importMaxUsers} accounts with one-time passwords: ${seconds.toFixed(1)} s (${process.env.PARLEY_TEST_DB ?? 'sqlite'})`);
    expect(result.created).toHaveLength(AdminLimits.importMaxUsers);
    expect(new Set(result.created.map((c) => c.username)).size).toBe(AdminLimits.importMaxUsers);
    expect(result.created.every((c) => c.password && c.password.length === 16)).toBe(true);
    // Fast enough for an admin waiting on a page (measured; see the log line above).
    expect(seconds).toBeLessThan(90);
    sessionOf(await login(result.created[9_999]!.username, result.created[9_999]!.password!));

    const tooMany = await failure(admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(`${text}extra.${tag}@uni.test\n`)] }));
    expect(tooMany).toMatchObject({ status: 400 });
    expect(tooMany.message).toMatch(/more than 10000 people/);
    const tooBig = await failure(admin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(`${'x'.repeat(AdminLimits.importMaxCsvBytes)}\n`)] }));
    expect(tooBig).toMatchObject({ status: 413, code: 40005 });
    const tooManyJson = await failure(admin.request(adminRoutes.importUsers, { body: { users: Array.from({ length: AdminLimits.importMaxUsers + 1 }, () => ({ email: 'a@b.test' })) } }));
    expect(tooManyJson.problems[0]).toMatchObject({ path: ['users'] });
  });

  it('the CLI imports a CSV file and prints the one-time passwords once', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'parley-import-'));
    const file = path.join(dir, 'students.csv');
    const [a, b] = [address('cli'), address('cli')];
    await writeFile(file, `email,name\n${a},Ann\n${b},Bob\nnope,No\n`);
    const lines = await runCommand(['users', 'import', file], server.db.database, { now: () => Date.now() });
    expect(lines[0]).toBe('Created 2 account(s); skipped 1.');
    expect(lines[1]).toBe('  line 4: nope: Not a valid e-mail address');
    const rows = lines.slice(lines.indexOf('username,email,password') + 1).map((l) => l.split(','));
    expect(rows.map((r) => r[1])).toEqual([a, b]);
    sessionOf(await login(rows[0]![0]!, rows[0]![2]!));
    await expect(runCommand(['users', 'import', path.join(dir, 'missing.csv')], server.db.database, { now: () => Date.now() })).rejects.toThrow(/Cannot read/);
  });
});

describe('sign-up asks a birth date when the instance wants it', () => {
  it('requires it then, marks under-18s as minors, refuses impossible dates, keeps only the flag', async () => {
    await admin.request(routes.instance.updateSettings, { body: { ask_birth_date: true } });
    try {
      const missing = await failure(signUp(server));
      expect(missing.problems[0]).toMatchObject({ path: ['birth_date'] });
      expect((await failure(signUp(server, { birth_date: '2999-01-01' }))).problems[0]).toMatchObject({ path: ['birth_date'] });
      expect((await failure(signUp(server, { birth_date: '31/12/2000' }))).problems[0]).toMatchObject({ path: ['birth_date'] });
      const year = new Date().getUTCFullYear();
      const child = await signUp(server, { birth_date: `${year - 12}-06-01` });
      const adult = await signUp(server, { birth_date: `${year - 30}-06-01` });
      expect((await admin.request(adminRoutes.getUser, { params: { user_id: child.userId } })).minor).toBe(true);
      expect((await admin.request(adminRoutes.getUser, { params: { user_id: adult.userId } })).minor).toBe(false);
      const [entry] = await admin.request(adminRoutes.auditLog, { query: { action: 'settings_update', limit: 1 } });
      expect(entry).toMatchObject({ actor_id: adminId, details: { ask_birth_date: true } });
    } finally {
      await admin.request(routes.instance.updateSettings, { body: { ask_birth_date: false } });
    }
    // Off again: not asked, and nobody is marked.
    const person = await signUp(server);
    expect((await admin.request(adminRoutes.getUser, { params: { user_id: person.userId } })).minor).toBe(false);
  });
});

describe('the instance audit log', () => {
  it('pages back with before, filters by action, refuses unknown actions', async () => {
    const page = await admin.request(adminRoutes.auditLog, { query: { limit: 2 } });
    expect(page).toHaveLength(2);
    const older = await admin.request(adminRoutes.auditLog, { query: { limit: 2, before: page[1]!.id } });
    expect(BigInt(older[0]!.id)).toBeLessThan(BigInt(page[1]!.id));
    const response = await server.app.inject({ method: 'GET', url: '/api/v10/admin/audit-log?action=hack', headers: { authorization: admin.token! } });
    expect(response.statusCode).toBe(400);
  });
});

describe('with mail', () => {
  let mail: TestMailServer;
  let mailing: TestServer;
  let mailAdmin: RestClient;
  beforeAll(async () => {
    mail = await TestMailServer.start();
    mailing = await startTestServer({ env: { SMTP_URL: mail.url, MAIL_FROM: 'Parley <parley@example.test>', PUBLIC_URL: 'https://chat.example.test' } });
    mailAdmin = (await makeAdmin(mailing)).client;
  });
  afterAll(async () => {
    await mailing.close();
    await mail.close();
  });

  it('imports by mailing each person a link to choose their password', async () => {
    const [a, b] = [address('mailed'), address('mailed')];
    const result = await mailAdmin.request(adminRoutes.importUsers, { body: {}, files: [csvFile(`${a},Ann\n${b},Bob\n`)] });
    expect(result.delivery).toBe('email');
    expect(result.created.every((c) => c.password === undefined)).toBe(true);
    const received = await mail.next(a, /Your account is ready/);
    expect(received.text).toContain(`Your username is ${result.created[0]!.username}`);
    await mailing.client().request(routes.auth.resetPassword, { body: { token: linkToken(received, 'reset-password'), password: 'ann picked this' } });
    const { token } = sessionOf(await mailing.client().request(routes.auth.login, { body: { login: a, password: 'ann picked this' } }));
    // Choosing it through the link was the change: nothing more to do.
    await mailing.client(token).request(routes.users.getMe);
    await mail.next(b, /Your account is ready/);
    // Asked for, the passwords can still be downloaded instead.
    const c = address('mailed');
    const downloaded = await mailAdmin.request(adminRoutes.importUsers, { body: { users: [{ email: c }], delivery: 'download' } });
    expect(downloaded.created[0]!.password).toHaveLength(16);
  });

  it('creates one account by mail, and resets a password by mail', async () => {
    const email = address('one');
    const created = await mailAdmin.request(adminRoutes.createUser, { body: { username: uniqueName('one'), email } });
    expect(created).toMatchObject({ password: null, emailed: true });
    await mail.next(email, /Your account is ready/);
    await mailAdmin.request(adminRoutes.resetUserPassword, { params: { user_id: created.user.id }, body: { mode: 'email' } });
    const reset = await mail.next(email, /Reset your password/);
    expect(linkToken(reset, 'reset-password')).toHaveLength(43);
  });
});
