import { routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, signUp, uniqueName } from '../../testing/fixtures';
import { TestMailServer, linkToken } from '../../testing/mail';
import { startTestServer, type TestServer } from '../../testing/server';
import { InstanceSettingsStore } from '../instance/settings';

const PUBLIC_URL = 'https://chat.example.test';
let mail: TestMailServer;
let server: TestServer;
let now = Date.now();

beforeAll(async () => {
  mail = await TestMailServer.start();
  server = await startTestServer({
    clock: { now: () => now },
    env: { SMTP_URL: mail.url, MAIL_FROM: 'Parley <parley@example.test>', PUBLIC_URL, PASSWORD_RESET_RATE_LIMIT: '3/3600' },
  });
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

const address = () => `${uniqueName('mail')}@example.test`.toLowerCase();

describe('address confirmation', () => {
  it('mails a link on sign-up; following it confirms the address, once', async () => {
    const email = address();
    const person = await signUp(server, { email });
    expect(await person.client.request(routes.users.getMe)).toMatchObject({ email, verified: false, pending_email: null });

    const received = await mail.next(email, /Confirm your e-mail address/);
    expect(received.from).toBe('parley@example.test');
    expect(received.text).toContain(`${PUBLIC_URL}/verify-email#token=`);
    expect(received.html).toContain(`href="${PUBLIC_URL}/verify-email#token=`);
    const token = linkToken(received, 'verify-email');

    const confirmed = await server.client().request(routes.auth.verifyEmail, { body: { token } });
    expect(confirmed).toMatchObject({ id: person.userId, email, verified: true });
    expect(await person.client.request(routes.users.getMe)).toMatchObject({ verified: true });

    const again = await failure(server.client().request(routes.auth.verifyEmail, { body: { token } }));
    expect(again).toMatchObject({ status: 400, code: 90012 });
  });

  it('a changed address replaces the old one only once confirmed; the old one is told', async () => {
    const oldAddress = address();
    const person = await signUp(server, { email: oldAddress });
    await mail.next(oldAddress, /Confirm/);
    const newAddress = address();

    const asked = await person.client.request(routes.users.updateMe, { body: { email: newAddress, password: person.password } });
    expect(asked).toMatchObject({ email: oldAddress, pending_email: newAddress });
    const notice = await mail.next(oldAddress, /being changed/);
    expect(notice.text).toContain(newAddress);
    const token = linkToken(await mail.next(newAddress, /Confirm/), 'verify-email');

    // Until then the old address still signs in; the new one does not.
    await server.client().request(routes.auth.login, { body: { login: oldAddress, password: person.password } });
    await failure(server.client().request(routes.auth.login, { body: { login: newAddress, password: person.password } }));

    const confirmed = await server.client().request(routes.auth.verifyEmail, { body: { token } });
    expect(confirmed).toMatchObject({ email: newAddress, pending_email: null, verified: true });
    await server.client().request(routes.auth.login, { body: { login: newAddress, password: person.password } });
  });

  it('a link for an address the account has since moved away from no longer works', async () => {
    const person = await signUp(server, { email: address() });
    const first = address();
    await person.client.request(routes.users.updateMe, { body: { email: first, password: person.password } });
    const firstToken = linkToken(await mail.next(first, /Confirm/), 'verify-email');
    const second = address();
    await person.client.request(routes.users.updateMe, { body: { email: second, password: person.password } });
    expect(await failure(server.client().request(routes.auth.verifyEmail, { body: { token: firstToken } }))).toMatchObject({ code: 90012 });
    expect(await person.client.request(routes.users.getMe)).toMatchObject({ pending_email: second });
  });

  it('mails the link again on request, to the address waiting to be confirmed', async () => {
    const email = address();
    const person = await signUp(server, { email });
    await mail.next(email, /Confirm/);
    await person.client.request(routes.auth.resendVerification);
    const token = linkToken(await mail.next(email, /Confirm/), 'verify-email');
    await server.client().request(routes.auth.verifyEmail, { body: { token } });
    const nothingLeft = await failure(person.client.request(routes.auth.resendVerification));
    expect(nothingLeft).toMatchObject({ status: 400, code: 90014 });
  });

  it('on an instance that requires it, an unconfirmed account can only manage itself until it confirms', async () => {
    await new InstanceSettingsStore(server.db.database.db).update({ require_verified_email: true });
    try {
      const refused = await failure(server.client().request(routes.auth.register, { body: { username: uniqueName(), password: 'long enough pw' } }));
      expect(refused.problems[0]).toMatchObject({ path: ['email'], code: 'EMAIL_REQUIRED' });

      const email = address();
      const person = await signUp(server, { email });
      const blocked = await failure(person.client.request(routes.guilds.create, { body: { name: 'Too early' } }));
      expect(blocked).toMatchObject({ status: 403, code: 90013 });
      await person.client.request(routes.users.getMe);
      await person.client.request(routes.auth.listSessions);

      const token = linkToken(await mail.next(email, /Confirm/), 'verify-email');
      await server.client().request(routes.auth.verifyEmail, { body: { token } });
      await person.client.request(routes.guilds.create, { body: { name: 'Now' } });

      // Guests have no address to confirm.
      const guest = await server.client().request(routes.auth.guest, { body: {} });
      await server.client(guest.token).request(routes.guilds.create, { body: { name: 'Guest place' } });
    } finally {
      await new InstanceSettingsStore(server.db.database.db).update({ require_verified_email: false });
    }
  });
});

describe('forgotten passwords', () => {
  it('mails a reset link; using it sets the password, confirms the address and signs out every session', async () => {
    const email = address();
    const person = await signUp(server, { email });
    await mail.next(email, /Confirm/);
    const otherDevice = sessionOf(await server.client().request(routes.auth.login, { body: { login: email, password: person.password } }));

    await server.client().request(routes.auth.forgotPassword, { body: { login: person.username.toUpperCase() } });
    const received = await mail.next(email, /Reset your password/);
    expect(received.text).toContain('30 minutes');
    const token = linkToken(received, 'reset-password');

    // A new password that breaks the rules changes nothing, and the link still works after it.
    const short = await failure(server.client().request(routes.auth.resetPassword, { body: { token, password: 'short' } }));
    expect(short.problems[0]).toMatchObject({ path: ['password'], code: 'BASE_TYPE_MIN_LENGTH' });

    await server.client().request(routes.auth.resetPassword, { body: { token, password: 'a brand new password' } });
    for (const client of [person.client, server.client(otherDevice.token)]) {
      expect(await failure(client.request(routes.users.getMe))).toMatchObject({ status: 401 });
    }
    await failure(server.client().request(routes.auth.login, { body: { login: email, password: person.password } }));
    const signedIn = sessionOf(await server.client().request(routes.auth.login, { body: { login: email, password: 'a brand new password' } }));
    expect(await server.client(signedIn.token).request(routes.users.getMe)).toMatchObject({ verified: true });

    const reused = await failure(server.client().request(routes.auth.resetPassword, { body: { token, password: 'yet another password' } }));
    expect(reused).toMatchObject({ status: 400, code: 90012 });
  });

  it('answers the same for an unknown address and mails nothing; only the latest link works', async () => {
    const unknown = address();
    await server.client().request(routes.auth.forgotPassword, { body: { login: unknown } });
    const email = address();
    const person = await signUp(server, { email });
    await mail.next(email, /Confirm/);
    await server.client().request(routes.auth.forgotPassword, { body: { login: email } });
    const first = linkToken(await mail.next(email, /Reset/), 'reset-password');
    await server.client().request(routes.auth.forgotPassword, { body: { login: email } });
    const second = linkToken(await mail.next(email, /Reset/), 'reset-password');
    expect(await failure(server.client().request(routes.auth.resetPassword, { body: { token: first, password: 'one new password' } }))).toMatchObject({ code: 90012 });
    await server.client().request(routes.auth.resetPassword, { body: { token: second, password: 'one new password' } });
    await server.client().request(routes.auth.login, { body: { login: person.username, password: 'one new password' } });
    expect(mail.received.filter((m) => m.to.includes(unknown))).toEqual([]);
  });

  it('a reset link expires after 30 minutes', async () => {
    const email = address();
    await signUp(server, { email });
    await server.client().request(routes.auth.forgotPassword, { body: { login: email } });
    const token = linkToken(await mail.next(email, /Reset/), 'reset-password');
    now += 31 * 60_000;
    expect(await failure(server.client().request(routes.auth.resetPassword, { body: { token, password: 'too late password' } }))).toMatchObject({ code: 90012 });
  });

  it('limits requests per address', async () => {
    const login = address();
    for (let i = 0; i < 3; i++) await server.client().request(routes.auth.forgotPassword, { body: { login } });
    const limited = await failure(server.client().request(routes.auth.forgotPassword, { body: { login } }));
    expect(limited.status).toBe(429);
  });

  it('names the field of bad input', async () => {
    const missing = await failure(server.client().request(routes.auth.forgotPassword, { body: {} as never }));
    expect(missing.problems[0]).toMatchObject({ path: ['login'] });
    const badToken = await failure(server.client().request(routes.auth.resetPassword, { body: { token: 'not-a-token', password: 'long enough pw' } }));
    expect(badToken.problems[0]).toMatchObject({ path: ['token'] });
    const noToken = await failure(server.client().request(routes.auth.verifyEmail, { body: {} as never }));
    expect(noToken.problems[0]).toMatchObject({ path: ['token'] });
  });
});

describe('without SMTP_URL', () => {
  it('says that it sends no mail; a new address applies at once, unconfirmed', async () => {
    const plain = await startTestServer();
    try {
      expect(await plain.client().request(routes.instance.info)).toMatchObject({ mail_enabled: false });
      const refused = await failure(plain.client().request(routes.auth.forgotPassword, { body: { login: 'anyone' } }));
      expect(refused).toMatchObject({ status: 503, code: 90011 });
      const person = await signUp(plain, { email: address() });
      const changed = address();
      expect(await person.client.request(routes.users.updateMe, { body: { email: changed, password: person.password } })).toMatchObject({ email: changed, pending_email: null, verified: false });
      expect(await failure(person.client.request(routes.auth.resendVerification))).toMatchObject({ code: 90011 });
    } finally {
      await plain.close();
    }
  });

  it('refuses to start mailing without PUBLIC_URL to build links from', async () => {
    await expect(startTestServer({ env: { SMTP_URL: mail.url, MAIL_FROM: 'parley@example.test' } })).rejects.toThrow(/PUBLIC_URL: Required when SMTP_URL is set/);
  });
});
