import { routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../cli/commands';
import { systemClock } from '../../core/clock';
import { failure, signUp, uniqueName } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('register and login', () => {
  it('registers, then logs in by username or e-mail, in any case', async () => {
    const username = uniqueName('Alice');
    const { token, user_id } = await server.client().request(routes.auth.register, {
      body: { username, password: 'correct horse battery', email: `${username}@Example.org` },
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await server.client(token).request(routes.users.getMe);
    expect(me).toMatchObject({ id: user_id, username: username.toLowerCase(), email: `${username.toLowerCase()}@example.org`, guest: false });

    const byName = sessionOf(await server.client().request(routes.auth.login, { body: { login: username.toUpperCase(), password: 'correct horse battery' } }));
    expect(byName.user_id).toBe(user_id);
    const byEmail = sessionOf(await server.client().request(routes.auth.login, { body: { login: `${username}@EXAMPLE.org`, password: 'correct horse battery' } }));
    expect(byEmail.user_id).toBe(user_id);
    expect(byEmail.token).not.toBe(byName.token);
  });

  it('refuses a wrong password or unknown login with the same error', async () => {
    const { username } = await signUp(server);
    const wrong = await failure(server.client().request(routes.auth.login, { body: { login: username, password: 'not the password' } }));
    const unknown = await failure(server.client().request(routes.auth.login, { body: { login: uniqueName(), password: 'whatever123' } }));
    for (const e of [wrong, unknown]) {
      expect(e.status).toBe(400);
      expect(e.code).toBe(50035);
      expect(e.problems[0]).toMatchObject({ path: ['login'], code: 'INVALID_LOGIN' });
    }
  });

  it('keeps usernames unique regardless of case', async () => {
    const username = uniqueName('bob');
    await signUp(server, { username });
    const e = await failure(server.client().request(routes.auth.register, { body: { username: username.toUpperCase(), password: 'another password' } }));
    expect(e.problems[0]).toMatchObject({ path: ['username'], code: 'USERNAME_ALREADY_TAKEN' });
  });

  it('names the offending field for each rule a username breaks', async () => {
    const cases: [string, string][] = [
      ['a', 'BASE_TYPE_MIN_LENGTH'],
      ['x'.repeat(33), 'BASE_TYPE_MAX_LENGTH'],
      ['has space', 'STRING_TYPE_REGEX'],
      ['dots..twice', 'BASE_TYPE_INVALID'],
      ['everyone', 'USERNAME_RESERVED'],
    ];
    for (const [username, code] of cases) {
      const e = await failure(server.client().request(routes.auth.register, { body: { username, password: 'long enough pw' } }));
      expect(e.status).toBe(400);
      expect(e.problems[0]).toMatchObject({ path: ['username'], code });
      expect(e.message).toContain('username');
    }
  });

  it('refuses short passwords and bad e-mail addresses', async () => {
    const short = await failure(server.client().request(routes.auth.register, { body: { username: uniqueName(), password: 'short' } }));
    expect(short.problems[0]).toMatchObject({ path: ['password'], code: 'BASE_TYPE_MIN_LENGTH' });
    const email = await failure(server.client().request(routes.auth.register, { body: { username: uniqueName(), password: 'long enough pw', email: 'nope' } }));
    expect(email.problems[0]).toMatchObject({ path: ['email'], code: 'STRING_TYPE_EMAIL' });
  });

  it('counts failed logins per account, whether reached by username or e-mail', async () => {
    const limited = await startTestServer({ env: { AUTH_RATE_LIMIT_ACCOUNT: '2/900' } });
    try {
      const email = `${uniqueName()}@example.org`;
      const { username, password } = await signUp(limited, { email });
      await failure(limited.client().request(routes.auth.login, { body: { login: username, password: 'wrong one' } }));
      await failure(limited.client().request(routes.auth.login, { body: { login: email, password: 'wrong two' } }));
      const locked = await failure(limited.client().request(routes.auth.login, { body: { login: username, password } }));
      expect(locked.status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('failed logins cannot lock the owner out', () => {
  // Three wrong passwords per counter; addresses from the documentation ranges.
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ env: { AUTH_RATE_LIMIT_ACCOUNT: '3/900' } });
  });
  afterAll(() => limited.close());

  const OWNER_IP = '192.0.2.10';
  const attackerIp = (i: number) => `198.51.100.${i}`;
  const password = 'correct horse battery';

  const logIn = (login: string, pw: string, ip: string, cookie?: string) =>
    limited.app.inject({ method: 'POST', url: '/api/v10/auth/login', payload: { login, password: pw }, remoteAddress: ip, ...(cookie && { headers: { cookie } }) });

  /** Signs up from the owner's address; returns the username and the Set-Cookie the browser was given. */
  async function ownerSignsUp(): Promise<{ username: string; setCookie: string }> {
    const username = uniqueName('owner');
    const response = await limited.app.inject({ method: 'POST', url: '/api/v10/auth/register', payload: { username, password }, remoteAddress: OWNER_IP });
    expect(response.statusCode).toBe(200);
    return { username, setCookie: String(response.headers['set-cookie'] ?? '') };
  }

  /** The device cookie as the browser sends it back, after checking how it was set. */
  function deviceCookie(setCookie: string): string {
    expect(setCookie).toMatch(/^parley_device=[A-Za-z0-9_-]{43}; /);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/api']) expect(setCookie).toContain(attribute);
    return setCookie.split(';')[0]!;
  }

  /** Wrong passwords for `username` from three attacker addresses: spends the unfamiliar counter. */
  async function attackerGuesses(username: string, first = 1): Promise<void> {
    for (let i = first; i < first + 3; i++) expect((await logIn(username, 'wrong guess', attackerIp(i))).statusCode).toBe(400);
  }

  it('lets the owner in from an address they signed in from, however many guesses fail elsewhere', async () => {
    const { username } = await ownerSignsUp();
    await attackerGuesses(username);
    // The attacker is now refused even with the right password...
    expect((await logIn(username, password, attackerIp(50))).statusCode).toBe(429);
    // ...and the owner, at home, is not.
    const owner = await logIn(username, password, OWNER_IP);
    expect(owner.statusCode).toBe(200);
    expect(owner.json().token).toBeTruthy();
  });

  it('refuses unfamiliar addresses with 429, Retry-After and retry_after once the account has had too many failures', async () => {
    const { username } = await ownerSignsUp();
    await attackerGuesses(username);
    const refused = await logIn(username, 'another guess', attackerIp(60));
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
    expect(refused.json()).toMatchObject({ code: 90001, global: false });
    expect(refused.json().retry_after).toBeGreaterThan(800);
  });

  it("recognises the owner's browser by its device cookie on a new network", async () => {
    const { username, setCookie } = await ownerSignsUp();
    const cookie = deviceCookie(setCookie);
    await attackerGuesses(username);
    const travelling = '203.0.113.77';
    expect((await logIn(username, password, travelling)).statusCode).toBe(429);
    const signedIn = await logIn(username, password, travelling, cookie);
    expect(signedIn.statusCode).toBe(200);
    // That address is now known too.
    expect((await logIn(username, password, travelling)).statusCode).toBe(200);
    // A made-up cookie is just another stranger.
    expect((await logIn(username, password, '203.0.113.78', `parley_device=${'A'.repeat(43)}`)).statusCode).toBe(429);
  });

  it('limits the owner mistyping at a known address too, on a counter of its own', async () => {
    const { username, setCookie } = await ownerSignsUp();
    for (let i = 0; i < 3; i++) expect((await logIn(username, 'my old password', OWNER_IP)).statusCode).toBe(400);
    const limitedHere = await logIn(username, password, OWNER_IP);
    expect(limitedHere.statusCode).toBe(429);
    expect(Number(limitedHere.headers['retry-after'])).toBeGreaterThan(800);
    expect(limitedHere.json().retry_after).toBeGreaterThan(800);
    // That spent only this address's counter: the owner's browser and other places still get in.
    expect((await logIn(username, password, '203.0.113.90', deviceCookie(setCookie))).statusCode).toBe(200);
    expect((await logIn(username, password, attackerIp(70))).statusCode).toBe(200);
  });

  it("clears a known source's counter when the owner gets the password right", async () => {
    const { username } = await ownerSignsUp();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) expect((await logIn(username, 'typo', OWNER_IP)).statusCode).toBe(400);
      expect((await logIn(username, password, OWNER_IP)).statusCode).toBe(200);
    }
  });

  it('still protects an account that has never signed in (no known source)', async () => {
    // An admin-created account: it has a password but has never signed in anywhere.
    const username = uniqueName('fresh');
    const lines = await runCommand(['admin', 'create', username], limited.db.database, systemClock);
    const oneTime = /One-time password: (\S+)/.exec(lines.join('\n'))![1]!;
    await attackerGuesses(username);
    // Every address is unfamiliar, so the account's shared counter holds everyone back.
    const refused = await logIn(username, oneTime, OWNER_IP);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().retry_after).toBeGreaterThan(0);
  });

  it('counts guesses at logins that match no account, by the login text', async () => {
    const nobody = uniqueName('nobody');
    await attackerGuesses(nobody);
    expect((await logIn(nobody, 'guess', attackerIp(80))).statusCode).toBe(429);
  });
});

describe('guests', () => {
  it('gets a temporary identity with a generated name, marked as a guest to others', async () => {
    const { token, user } = await server.client().request(routes.auth.guest);
    expect(user.guest).toBe(true);
    expect(user.username).toMatch(/^guest_[a-z0-9]{8}$/);
    expect(user.global_name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    const { client: other } = await signUp(server);
    const seen = await other.request(routes.users.getUser, { params: { user_id: user.id } });
    expect(seen).toMatchObject({ id: user.id, guest: true });
    expect(seen).not.toHaveProperty('email');
    expect((await server.client(token).request(routes.users.getMe)).id).toBe(user.id);
  });

  it('upgrades to an account keeping the same ID, then logs in with a password', async () => {
    const { token, user } = await server.client().request(routes.auth.guest, { body: { global_name: 'Wanderer' } });
    const guest = server.client(token);
    await guest.request(routes.users.updateMe, { body: { bio: 'made while a guest' } });
    const username = uniqueName('upgraded');
    const upgraded = await guest.request(routes.auth.upgrade, { body: { username, password: 'now permanent' } });
    expect(upgraded).toMatchObject({ id: user.id, username, guest: false, global_name: 'Wanderer', bio: 'made while a guest' });
    const login = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password: 'now permanent' } }));
    expect(login.user_id).toBe(user.id);
    // The guest's own session stays signed in.
    expect((await guest.request(routes.users.getMe)).guest).toBe(false);
    const again = await failure(guest.request(routes.auth.upgrade, { body: { username: uniqueName(), password: 'once more pw' } }));
    expect(again.code).toBe(90005);
  });

  it('cannot log in with a password before upgrading', async () => {
    const { user } = await server.client().request(routes.auth.guest);
    const e = await failure(server.client().request(routes.auth.login, { body: { login: user.username, password: 'anything at all' } }));
    expect(e.problems[0]?.code).toBe('INVALID_LOGIN');
  });
});

describe('sessions', () => {
  it('lists one session per sign-in and revokes any of them', async () => {
    const { client, username, password } = await signUp(server);
    const { token: phoneToken } = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } }));
    const sessions = await client.request(routes.auth.listSessions);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const phone = sessions.find((s) => !s.current)!;
    expect(phone.client).toBe('Node.js');
    expect(phone.ip).toBe('127.0.0.1');

    await client.request(routes.auth.revokeSession, { params: { session_id: phone.id } });
    const revoked = await failure(server.client(phoneToken).request(routes.users.getMe));
    expect(revoked.status).toBe(401);
    expect(await client.request(routes.auth.listSessions)).toHaveLength(1);
  });

  it("treats another user's session as unknown", async () => {
    const a = await signUp(server);
    const b = await signUp(server);
    const [bSession] = await b.client.request(routes.auth.listSessions);
    const e = await failure(a.client.request(routes.auth.revokeSession, { params: { session_id: bSession!.id } }));
    expect(e.status).toBe(404);
    expect(await b.client.request(routes.users.getMe)).toMatchObject({ id: b.userId });
  });

  it('logs out the current session only', async () => {
    const { client, username, password } = await signUp(server);
    const other = server.client(sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } })).token);
    await client.request(routes.auth.logout);
    expect((await failure(client.request(routes.users.getMe))).status).toBe(401);
    expect((await other.request(routes.users.getMe)).username).toBe(username);
  });

  it('refuses missing, malformed and bot/bearer authorization', async () => {
    for (const authorization of [undefined, '', 'garbage', 'Bot abc', 'Bearer abc', 'x'.repeat(600), 'nul\u0000']) {
      const response = await server.app.inject({ method: 'GET', url: '/api/v10/users/@me', headers: authorization === undefined ? {} : { authorization } });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ code: 0, message: '401: Unauthorized' });
    }
  });
});
