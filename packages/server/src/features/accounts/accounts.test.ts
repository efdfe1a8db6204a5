import { type Snowflake, routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

const DAY = 24 * 3600_000;
let server: TestServer;
let now = Date.now();

beforeAll(async () => {
  server = await startTestServer({ clock: { now: () => now }, env: { ACCOUNT_DELETION_GRACE_DAYS: '14', SESSION_IDLE_DAYS: '30', GUEST_RETENTION_DAYS: '30' } });
});
afterAll(() => server.close());

/** The entries of a ZIP archive, by name. */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

describe('data export', () => {
  it('downloads one archive with the profile, servers, every message written (DMs too) and the files sent', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const friend = members[0]!;
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hello server' } });
    await owner.client.request(routes.messages.create, {
      params: { channel_id: general.id },
      body: { content: 'the plan' },
      files: [new File(['step one\nstep two\n'], 'plan.txt', { type: 'text/plain' })],
    });
    await friend.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'not mine' } });
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: friend.userId as Snowflake } });
    await owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'psst' } });

    const link = await owner.client.request(routes.users.exportData);
    expect(link.url).toMatch(new RegExp(`^/exports/${owner.userId}\\?ex=\\d+&hm=[0-9a-f]{64}$`));
    const response = await fetch(`${server.url}${link.url}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="parley-data-\d{4}-\d{2}-\d{2}\.zip"$/);
    const entries = await unzip(Buffer.from(await response.arrayBuffer()));

    const account = JSON.parse(entries.get('account.json')!.toString());
    expect(account.user).toMatchObject({ id: owner.userId, username: owner.username });
    expect(account.sessions.length).toBeGreaterThan(0);
    expect(JSON.parse(entries.get('servers.json')!.toString())).toEqual([expect.objectContaining({ name: 'Test Server' })]);
    const inGeneral = entries
      .get(`messages/${general.id}.jsonl`)!
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).content);
    expect(inGeneral).toEqual(['hello server', 'the plan']);
    expect(entries.get(`messages/${dm.id}.jsonl`)!.toString()).toContain('psst');
    const file = [...entries.keys()].find((name) => name.startsWith(`files/${general.id}/`) && name.endsWith('/plan.txt'));
    expect(entries.get(file!)!.toString()).toBe('step one\nstep two\n');
  });

  it('a tampered or expired link gets nothing', async () => {
    const person = await signUp(server);
    const { url } = await person.client.request(routes.users.exportData);
    const tampered = url.replace(/hm=([0-9a-f])/, (_, c: string) => `hm=${c === '0' ? '1' : '0'}`);
    expect((await fetch(`${server.url}${tampered}`)).status).toBe(403);
    expect((await fetch(`${server.url}${url.replace(/\/exports\/\d+/, `/exports/${'1'.repeat(18)}`)}`)).status).toBe(403);
    now += 11 * 60_000;
    expect((await fetch(`${server.url}${url}`)).status).toBe(403);
    expect((await fetch(`${server.url}/exports/123?ex=nope&hm=x`)).status).toBe(400);
  });
});

describe('account deletion', () => {
  it('refuses an owner of a server, and a wrong password', async () => {
    const { owner } = await makeGuild(server);
    expect(await failure(owner.client.request(routes.users.deleteMe, { body: { password: owner.password } }))).toMatchObject({ status: 400, code: 40011 });
    const person = await signUp(server);
    const wrong = await failure(person.client.request(routes.users.deleteMe, { body: { password: 'not it at all' } }));
    expect(wrong.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_DOES_NOT_MATCH' });
    const missing = await failure(person.client.request(routes.users.deleteMe, { body: {} }));
    expect(missing.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
    expect(await person.client.request(routes.users.getMe)).toMatchObject({ deletion_scheduled_at: null });
  });

  it('signs out everywhere and waits out the grace period; signing in again can cancel it', async () => {
    const person = await signUp(server);
    await person.client.request(routes.users.deleteMe, { body: { password: person.password } });
    expect(await failure(person.client.request(routes.users.getMe))).toMatchObject({ status: 401 });
    const back = sessionOf(await server.client().request(routes.auth.login, { body: { login: person.username, password: person.password } }));
    const client = server.client(back.token);
    const me = await client.request(routes.users.getMe);
    expect(Date.parse(me.deletion_scheduled_at!) - now).toBe(14 * DAY);
    expect(await client.request(routes.users.cancelDeletion)).toMatchObject({ deletion_scheduled_at: null });
    now += 15 * DAY;
    await server.app.sweepAccounts();
    expect(await client.request(routes.users.getMe)).toMatchObject({ username: person.username });
  });

  it('after the grace period the profile is erased; messages stay, by "Deleted user"; the name and address are free again', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const leaving = members[0]!;
    const email = `${leaving.username}@example.test`;
    await leaving.client.request(routes.users.updateMe, { body: { email, bio: 'about me', password: leaving.password } });
    const said = await leaving.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'goodbye all' } });
    const live = await server.connect(owner.client.token!);
    const removed = live.gateway.once('GUILD_MEMBER_REMOVE', (d) => d.user.id === leaving.userId);

    await leaving.client.request(routes.users.deleteMe, { body: { password: leaving.password } });
    now += 14 * DAY + 1;
    expect((await server.app.sweepAccounts()).deleted).toBeGreaterThanOrEqual(1);
    await removed;

    const history = await owner.client.request(routes.messages.list, { params: { channel_id: general.id } });
    expect(history.find((m) => m.id === said.id)).toMatchObject({
      content: 'goodbye all',
      author: { id: leaving.userId, global_name: 'Deleted user', username: `deleted-${leaving.userId}`, bio: '' },
    });
    expect(await failure(server.client().request(routes.auth.login, { body: { login: leaving.username, password: leaving.password } }))).toMatchObject({ status: 400 });
    await signUp(server, { username: leaving.username, email });
  });

  it('a guest is erased at once: there is no password to come back with', async () => {
    const guest = await server.client().request(routes.auth.guest, { body: {} });
    const client = server.client(guest.token);
    await client.request(routes.users.deleteMe, { body: {} });
    expect(await failure(client.request(routes.users.getMe))).toMatchObject({ status: 401 });
    const someone = await signUp(server);
    expect(await someone.client.request(routes.users.getUser, { params: { user_id: guest.user.id } })).toMatchObject({ global_name: 'Former guest' });
  });
});

describe('lifetimes', () => {
  it('a session unused for SESSION_IDLE_DAYS is signed out; a used one lives on', async () => {
    const idle = await signUp(server);
    const busy = await signUp(server);
    now += 20 * DAY;
    await busy.client.request(routes.users.getMe);
    now += 11 * DAY;
    expect(await failure(idle.client.request(routes.users.getMe))).toMatchObject({ status: 401 });
    await busy.client.request(routes.users.getMe);
  });

  it('guests not seen for GUEST_RETENTION_DAYS are removed, their messages stay as a former guest’s; owners of a server stay', async () => {
    const { owner, general } = await makeGuild(server);
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    const guest = await server.client().request(routes.auth.guest, { body: { global_name: 'Visitor' } });
    await server.client(guest.token).request(routes.invites.accept, { params: { code: invite.code } });
    const said = await server.client(guest.token).request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'hi from a guest' } });
    const hostGuest = await server.client().request(routes.auth.guest, { body: {} });
    await server.client(hostGuest.token).request(routes.guilds.create, { body: { name: 'Guest-run' } });

    now += 31 * DAY;
    // The owner's session idled out meanwhile too: signing in again is activity.
    const back = sessionOf(await server.client().request(routes.auth.login, { body: { login: owner.username, password: owner.password } }));
    const ownerAgain = server.client(back.token);
    await server.app.sweepAccounts();
    const history = await ownerAgain.request(routes.messages.list, { params: { channel_id: general.id } });
    expect(history.find((m) => m.id === said.id)?.author).toMatchObject({ global_name: 'Former guest' });
    expect(await ownerAgain.request(routes.users.getUser, { params: { user_id: hostGuest.user.id } })).not.toMatchObject({ global_name: 'Former guest' });
    expect(await failure(server.client(guest.token).request(routes.users.getMe))).toMatchObject({ status: 401 });
  });
});
