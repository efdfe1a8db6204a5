import { routes } from '@parley/protocol';
import { ParleyApiError, type RestClient, sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../cli/commands';
import { claimInviteIfRequired } from '../auth/registration';
import { RegistrationInvites } from './invites';
import { InstanceSettingsStore } from './settings';
import { failure, signUp, uniqueName } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
let admin: RestClient;
let now = Date.UTC(2026, 10, 21);

beforeAll(async () => {
  server = await startTestServer({ clock: { now: () => now } });
  const username = uniqueName('admin');
  const [, passwordLine] = await runCommand(['admin', 'create', username], server.db.database, { now: () => now });
  const password = passwordLine!.replace('One-time password: ', '');
  const { token } = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } }));
  admin = server.client(token);
  await admin.request(routes.users.updateMe, { body: { password, new_password: 'admin chosen password' } });
});
afterAll(() => server.close());
beforeEach(async () => {
  await admin.request(routes.instance.updateSettings, { body: { registration_mode: 'open', guests_enabled: true, require_email: false } });
});

const register = (body: { invite?: string; email?: string } = {}) => server.client().request(routes.auth.register, { body: { username: uniqueName(), password: 'long enough pw', ...body } });

describe('instance info', () => {
  it('tells anyone the registration mode, guest access and limits', async () => {
    const info = await server.client().request(routes.instance.info);
    expect(info).toMatchObject({ name: 'Parley', registration_mode: 'open', guests_enabled: true, require_email: false });
    expect(info.limits.avatar_max_bytes).toBe(5 * 1024 * 1024);
    expect(info.limits).toMatchObject({ attachment_max_bytes: 25 * 1024 * 1024, attachments_per_message: 10 });
  });
});

describe('the upload limit', () => {
  it("is the operator's ATTACHMENT_MAX_BYTES unless an admin lowers it; it is never raised above it, and uploads obey it at once", async () => {
    const person = await signUp(server);
    const guild = await person.client.request(routes.guilds.create, { body: { name: 'Uploads' } });
    const general = (await person.client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } })).find((c) => c.name === 'general')!;
    const upload = (bytes: number) => person.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'file' }, files: [new File(['x'.repeat(bytes)], 'f.bin')] });

    const above = await failure(admin.request(routes.instance.updateSettings, { body: { upload_max_bytes: 25 * 1024 * 1024 + 1 } }));
    expect(above.status).toBe(400);
    expect(above.message).toContain('upload_max_bytes');
    expect((await failure(admin.request(routes.instance.updateSettings, { body: { upload_max_bytes: 10 } }))).status).toBe(400);

    await admin.request(routes.instance.updateSettings, { body: { upload_max_bytes: 2048 } });
    try {
      expect((await server.client().request(routes.instance.info)).limits.attachment_max_bytes).toBe(2048);
      await upload(2048);
      expect((await failure(upload(2049))).code).toBe(90009);
    } finally {
      await admin.request(routes.instance.updateSettings, { body: { upload_max_bytes: null } });
    }
    expect((await server.client().request(routes.instance.info)).limits.attachment_max_bytes).toBe(25 * 1024 * 1024);
    await upload(4096);
  });
});

describe('registration modes', () => {
  it('closed: nobody signs up or upgrades, existing users still log in', async () => {
    const existing = await signUp(server);
    const { token } = await server.client().request(routes.auth.guest);
    await admin.request(routes.instance.updateSettings, { body: { registration_mode: 'closed' } });
    expect((await failure(register())).code).toBe(90002);
    expect((await failure(server.client(token).request(routes.auth.upgrade, { body: { username: uniqueName(), password: 'long enough pw' } }))).code).toBe(90002);
    await server.client().request(routes.auth.login, { body: { login: existing.username, password: existing.password } });
  });

  it('invite: needs a valid code, counts its uses, refuses it when used up or expired', async () => {
    await admin.request(routes.instance.updateSettings, { body: { registration_mode: 'invite' } });
    expect((await failure(register())).problems[0]).toMatchObject({ path: ['invite'], code: 'INVITE_REQUIRED' });
    expect((await failure(register({ invite: 'nonsense' }))).problems[0]).toMatchObject({ path: ['invite'], code: 'INVALID_INVITE' });

    const twice = await admin.request(routes.instance.createInvite, { body: { max_uses: 2 } });
    await register({ invite: twice.code });
    await register({ invite: twice.code });
    expect((await failure(register({ invite: twice.code }))).problems[0]?.code).toBe('INVALID_INVITE');
    const listed = await admin.request(routes.instance.listInvites);
    expect(listed.find((i) => i.code === twice.code)).toMatchObject({ uses: 2, max_uses: 2 });

    const hourly = await admin.request(routes.instance.createInvite, { body: { max_uses: 0, max_age: 3600 } });
    now += 3601 * 1000;
    expect((await failure(register({ invite: hourly.code }))).problems[0]?.code).toBe('INVALID_INVITE');
  });

  it('invite: a sign-up that fails for another reason does not use up the invite', async () => {
    await admin.request(routes.instance.updateSettings, { body: { registration_mode: 'invite' } });
    const invite = await admin.request(routes.instance.createInvite, { body: { max_uses: 2 } });
    // Two people race for one username: one wins, the loser's transaction (invite use included) rolls back.
    const username = uniqueName('race');
    const attempts = await Promise.allSettled([1, 2].map(() => server.client().request(routes.auth.register, { body: { username, password: 'long enough pw', invite: invite.code } })));
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const lost = attempts.find((a) => a.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as ParleyApiError).problems[0]?.code).toBe('USERNAME_ALREADY_TAKEN');
    expect((await admin.request(routes.instance.listInvites)).find((i) => i.code === invite.code)?.uses).toBe(1);
  });

  it('invite: a use claimed inside a transaction that fails is given back', async () => {
    await admin.request(routes.instance.updateSettings, { body: { registration_mode: 'invite' } });
    const invite = await admin.request(routes.instance.createInvite, { body: { max_uses: 1 } });
    const { db } = server.db.database;
    const settings = await new InstanceSettingsStore(db).get();
    const invites = new RegistrationInvites(db, { now: () => now });
    await expect(
      db.transaction().execute(async (trx) => {
        await claimInviteIfRequired(trx, invites, settings, invite.code);
        throw new Error('the insert that follows fails');
      }),
    ).rejects.toThrow('the insert that follows fails');
    expect((await admin.request(routes.instance.listInvites)).find((i) => i.code === invite.code)?.uses).toBe(0);
    await register({ invite: invite.code });
  });

  it('invite: guests upgrading need an invite too; revoked invites stop working', async () => {
    await admin.request(routes.instance.updateSettings, { body: { registration_mode: 'invite' } });
    const invite = await admin.request(routes.instance.createInvite, { body: { max_uses: 5 } });
    const guest = server.client((await server.client().request(routes.auth.guest)).token);
    const noInvite = await failure(guest.request(routes.auth.upgrade, { body: { username: uniqueName(), password: 'long enough pw' } }));
    expect(noInvite.problems[0]?.code).toBe('INVITE_REQUIRED');
    await guest.request(routes.auth.upgrade, { body: { username: uniqueName(), password: 'long enough pw', invite: invite.code } });
    await admin.request(routes.instance.revokeInvite, { params: { code: invite.code } });
    expect((await failure(register({ invite: invite.code }))).problems[0]?.code).toBe('INVALID_INVITE');
    expect((await failure(admin.request(routes.instance.revokeInvite, { params: { code: invite.code } }))).status).toBe(404);
  });

  it('require_email: sign-up needs an e-mail address', async () => {
    await admin.request(routes.instance.updateSettings, { body: { require_email: true } });
    expect((await failure(register())).problems[0]).toMatchObject({ path: ['email'], code: 'EMAIL_REQUIRED' });
    await register({ email: `${uniqueName()}@example.org` });
  });

  it('guest access can be turned off', async () => {
    await admin.request(routes.instance.updateSettings, { body: { guests_enabled: false } });
    const e = await failure(server.client().request(routes.auth.guest));
    expect(e).toMatchObject({ status: 403, code: 90003 });
    expect((await server.client().request(routes.instance.info)).guests_enabled).toBe(false);
  });

  it('only admins see or change settings', async () => {
    const { client } = await signUp(server);
    expect((await failure(client.request(routes.instance.getSettings))).status).toBe(403);
    expect((await failure(client.request(routes.instance.updateSettings, { body: { registration_mode: 'closed' } }))).status).toBe(403);
    expect((await failure(client.request(routes.instance.createInvite, { body: {} }))).status).toBe(403);
    expect((await failure(server.client().request(routes.instance.getSettings))).status).toBe(401);
    expect((await server.client().request(routes.instance.info)).registration_mode).toBe('open');
  });
});
