import { routes } from '@parley/protocol';
import { ParleyApiError, sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock';
import { signUp, uniqueName } from '../testing/fixtures';
import { startTestServer, type TestServer } from '../testing/server';
import { UsageError, runCommand } from './commands';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const run = (...argv: string[]) => runCommand(argv, server.db.database, systemClock);

describe('admin create', () => {
  it('prints a one-time password that must be replaced before anything else', async () => {
    const username = uniqueName('root');
    const lines = await run('admin', 'create', username);
    const password = lines.find((l) => l.startsWith('One-time password: '))!.slice('One-time password: '.length);
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const { token } = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } }));
    const admin = server.client(token);
    const me = await admin.request(routes.users.getMe);
    expect(me).toMatchObject({ admin: true, password_change_required: true });
    const blocked = await admin.request(routes.instance.getSettings).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(ParleyApiError);
    expect((blocked as ParleyApiError).code).toBe(90004);

    await admin.request(routes.users.updateMe, { body: { password, new_password: 'my own admin password' } });
    expect((await admin.request(routes.users.getMe)).password_change_required).toBe(false);
    expect((await admin.request(routes.instance.getSettings)).registration_mode).toBe('open');
  });

  it('refuses a taken or invalid username', async () => {
    const { username } = await signUp(server);
    await expect(run('admin', 'create', username)).rejects.toBeInstanceOf(UsageError);
    await expect(run('admin', 'create', 'no spaces allowed')).rejects.toThrow(/Invalid username/);
    await expect(run('admin', 'create')).rejects.toThrow(/Invalid username/);
  });
});

describe('other commands', () => {
  it('resets a password, signing the user out everywhere', async () => {
    const { client, username } = await signUp(server);
    const [line] = await run('admin', 'reset-password', username);
    const password = line!.split(': ')[1]!;
    expect(await client.request(routes.users.getMe).catch((e: ParleyApiError) => e.status)).toBe(401);
    const { token } = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } }));
    expect((await server.client(token).request(routes.users.getMe)).password_change_required).toBe(true);
  });

  it('changes settings with validation and creates invites', async () => {
    await run('settings', 'set', 'registration_mode', 'invite');
    expect((await server.client().request(routes.instance.info)).registration_mode).toBe('invite');
    await expect(run('settings', 'set', 'registration_mode', 'sometimes')).rejects.toThrow(/registration_mode/);
    await expect(run('settings', 'set', 'colour', 'blue')).rejects.toBeInstanceOf(UsageError);
    const [codeLine] = await run('invite', 'create', '1', '1');
    const code = codeLine!.replace('Invite code: ', '');
    await server.client().request(routes.auth.register, { body: { username: uniqueName(), password: 'long enough pw', invite: code } });
    await run('settings', 'set', 'registration_mode', 'open');
    await expect(run('launch', 'rockets')).rejects.toThrow(/Unknown command/);
  });
});
