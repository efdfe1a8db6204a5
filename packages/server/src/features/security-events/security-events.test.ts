import { routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, uniqueName } from '../../testing/fixtures';
import { TestMailServer } from '../../testing/mail';
import { startTestServer, type TestServer } from '../../testing/server';

let mail: TestMailServer;
let server: TestServer;

beforeAll(async () => {
  mail = await TestMailServer.start();
  server = await startTestServer({ env: { SMTP_URL: mail.url, MAIL_FROM: 'parley@example.test', PUBLIC_URL: 'https://chat.example.test' } });
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

describe('security activity', () => {
  it('lists a password change with where it came from, newest first, and mails the account about it', async () => {
    const email = `${uniqueName('sec')}@example.test`.toLowerCase();
    const person = await signUp(server, { email });
    await person.client.request(routes.users.updateMe, { body: { password: person.password, new_password: 'another good password' } });
    const events = await person.client.request(routes.users.securityEvents);
    expect(events[0]).toMatchObject({ kind: 'password_changed', ip: '127.0.0.1', client: expect.any(String) });
    const notice = await mail.next(email, /Security notice/);
    expect(notice.text).toContain('Your password was changed');
    expect(notice.text).toContain('127.0.0.1');

    // Scheduling and cancelling a deletion are on record too; someone else sees none of it.
    await person.client.request(routes.users.deleteMe, { body: { password: 'another good password' } });
    const back = sessionOf(await server.client().request(routes.auth.login, { body: { login: email, password: 'another good password' } }));
    await server.client(back.token).request(routes.users.cancelDeletion);
    const kinds = (await server.client(back.token).request(routes.users.securityEvents)).map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['deletion_cancelled', 'deletion_scheduled', 'password_changed']);
    const other = await signUp(server);
    expect(await other.client.request(routes.users.securityEvents)).toEqual([]);
  });
});
