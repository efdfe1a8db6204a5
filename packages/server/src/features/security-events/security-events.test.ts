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
    expect(kinds.slice(0, 4)).toEqual(['deletion_cancelled', 'sign_in', 'deletion_scheduled', 'password_changed']);
    const other = await signUp(server);
    expect(await other.client.request(routes.users.securityEvents)).toEqual([]);
  });

  it('a sign-in from a familiar place is listed; one from a new place is also mailed', async () => {
    const email = `${uniqueName('place')}@example.test`.toLowerCase();
    const person = await signUp(server, { email });
    await server.client().request(routes.auth.login, { body: { login: email, password: person.password } });
    expect((await person.client.request(routes.users.securityEvents))[0]).toMatchObject({ kind: 'sign_in' });

    // The account forgets where it has been (as after months away): the next sign-in is from somewhere new.
    await server.db.database.db
      .deleteFrom('known_sign_in_sources')
      .where('user_id', '=', person.userId as never)
      .execute();
    await server.client().request(routes.auth.login, { body: { login: email, password: person.password } });
    expect((await person.client.request(routes.users.securityEvents))[0]).toMatchObject({ kind: 'sign_in_new_place' });
    expect((await mail.next(email, /Security notice/)).text).toContain('from a browser or network it had not used before');
  });
});
