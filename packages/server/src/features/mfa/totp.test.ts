import { type Snowflake, routes } from '@parley/protocol';
import { isMfaRequired } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../../db/tables';
import { type Person, failure, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';
import { SteppingClock, enableTotp, newTotpSecret, totpCode } from '../../testing/two-factor';

const clock = new SteppingClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock });
});
afterAll(() => server.close());

const db = () => server.db.database.db;

/** What a refused 2FA request must leave alone, as one comparable value. */
async function snapshot(userId: string): Promise<string> {
  const tables: (keyof Tables)[] = ['totp_secrets', 'recovery_codes', 'sessions', 'mfa_tickets', 'passkeys'];
  const rows = await Promise.all(
    tables.map((t) =>
      db()
        .selectFrom(t)
        .selectAll()
        .where('user_id', '=', userId as Snowflake)
        .execute(),
    ),
  );
  const user = await db()
    .selectFrom('users')
    .selectAll()
    .where('id', '=', userId as Snowflake)
    .executeTakeFirstOrThrow();
  return JSON.stringify([user, rows]);
}

/** Password step of a sign-in on an account with 2FA: the ticket answer. */
async function passwordStep(person: Person) {
  const answer = await server.client().request(routes.auth.login, { body: { login: person.username, password: person.password } });
  if (!isMfaRequired(answer)) throw new Error('expected the second step');
  return answer;
}

describe('turning TOTP on', () => {
  it('refuses a bad secret, a wrong code or a wrong password, naming the field and changing nothing', async () => {
    const person = await signUp(server);
    const secret = newTotpSecret();
    const before = await snapshot(person.userId);
    const cases: [Record<string, unknown>, string, string][] = [
      [{ secret: 'not base32!', code: totpCode(secret, clock.now()), password: person.password }, 'secret', 'STRING_TYPE_REGEX'],
      [{ secret: 'ABCDEFGH', code: totpCode(secret, clock.now()), password: person.password }, 'secret', 'STRING_TYPE_REGEX'],
      [{ secret, code: '12345', password: person.password }, 'code', 'STRING_TYPE_REGEX'],
      [{ secret, code: totpCode(secret, clock.now() - 5 * 60_000), password: person.password }, 'code', 'MFA_CODE_INVALID'],
      [{ secret, code: totpCode(secret, clock.now()), password: 'not the password' }, 'password', 'PASSWORD_DOES_NOT_MATCH'],
      [{ secret, code: totpCode(secret, clock.now()) }, 'password', 'BASE_TYPE_REQUIRED'],
    ];
    for (const [body, field, code] of cases) {
      const e = await failure(person.client.request(routes.mfa.enableTotp, { body: body as never }));
      expect(e.status).toBe(400);
      expect(e.problems[0]).toMatchObject({ path: [field], code });
    }
    expect(await snapshot(person.userId)).toBe(before);
    expect((await person.client.request(routes.users.getMe)).mfa_enabled).toBe(false);
  });

  it('turns on with the current code and the password: a new token, ten recovery codes, mfa_enabled', async () => {
    const person = await signUp(server);
    const oldToken = person.client.token!;
    const live = await server.connect(oldToken);
    const secret = newTotpSecret();
    // Typed in groups with spaces and lowercase, as people copy it.
    const typed = secret.toLowerCase().replace(/(.{4})/g, '$1 ');
    const result = await person.client.request(routes.mfa.enableTotp, { body: { secret: typed, code: totpCode(secret, clock.now()), password: person.password } });
    expect(result.token).not.toBe(oldToken);
    expect(result.backup_codes).toHaveLength(10);
    expect(new Set(result.backup_codes.map((c) => c.code)).size).toBe(10);
    for (const c of result.backup_codes) expect(c).toMatchObject({ user_id: person.userId, consumed: false, code: expect.stringMatching(/^[a-z2-7]{5}-[a-z2-7]{5}$/) });
    expect((await failure(server.client(oldToken).request(routes.users.getMe))).status).toBe(401);
    expect(await server.client(result.token).request(routes.users.getMe)).toMatchObject({ id: person.userId, mfa_enabled: true });
    // The codes are stored hashed: none appears in the database.
    const stored = await db()
      .selectFrom('recovery_codes')
      .select('code_hash')
      .where('user_id', '=', person.userId as Snowflake)
      .execute();
    expect(stored).toHaveLength(10);
    for (const c of result.backup_codes) expect(JSON.stringify(stored)).not.toContain(c.code.replace('-', ''));
    // Other tabs learn it live.
    await expect.poll(() => live.cache.user?.mfa_enabled).toBe(true);
    // Turning it on twice is refused.
    person.client.token = result.token;
    clock.nextStep();
    const again = await failure(person.client.request(routes.mfa.enableTotp, { body: { secret, code: totpCode(secret, clock.now()), password: person.password } }));
    expect(again.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_ALREADY_ENABLED' });
  });
});

describe('signing in with TOTP', () => {
  it('answers the password with a ticket (no session yet), then the code with a session; a ticket and a code serve once', async () => {
    const person = await signUp(server);
    const { secret } = await enableTotp(person, clock);
    const sessionsBefore = await db()
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', person.userId as Snowflake)
      .execute();
    const answer = await passwordStep(person);
    expect(answer).toMatchObject({ mfa: true, totp: true, webauthn: null, backup: true, sms: false, ticket: expect.any(String) });
    expect(answer).not.toHaveProperty('token');
    expect(
      await db()
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', person.userId as Snowflake)
        .execute(),
    ).toHaveLength(sessionsBefore.length);

    const wrong = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: answer.ticket, code: totpCode(secret, clock.now() - 10 * 60_000) } }));
    expect(wrong.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_INVALID' });
    const code = totpCode(secret, clock.now());
    const session = await server.client().request(routes.mfa.loginTotp, { body: { ticket: answer.ticket, code } });
    expect(session.user_id).toBe(person.userId);
    expect(await server.client(session.token).request(routes.users.getMe)).toMatchObject({ id: person.userId });

    // The ticket is used up.
    const reused = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: answer.ticket, code: totpCode(secret, clock.nextStep()) } }));
    expect(reused.problems[0]).toMatchObject({ path: ['ticket'], code: 'MFA_TICKET_INVALID' });
    // The same code, within its window, does not open a second sign-in (replay).
    clock.at -= 30_000;
    const second = await passwordStep(person);
    const replay = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: second.ticket, code } }));
    expect(replay.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_INVALID' });
    // The next code does.
    expect((await server.client().request(routes.mfa.loginTotp, { body: { ticket: second.ticket, code: totpCode(secret, clock.nextStep()) } })).user_id).toBe(person.userId);
  });

  it('accepts a recovery code once (any case, with or without the dash), then never again', async () => {
    const person = await signUp(server);
    const { backupCodes } = await enableTotp(person, clock);
    const [first] = backupCodes as [string];
    const one = await passwordStep(person);
    const typed = first.toUpperCase().replace('-', ' ');
    expect((await server.client().request(routes.mfa.loginTotp, { body: { ticket: one.ticket, code: typed } })).user_id).toBe(person.userId);
    const two = await passwordStep(person);
    const spent = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: two.ticket, code: first } }));
    expect(spent.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_INVALID' });
    expect(
      await db()
        .selectFrom('recovery_codes')
        .select('code_hash')
        .where('user_id', '=', person.userId as Snowflake)
        .execute(),
    ).toHaveLength(9);
  });

  it('lets a ticket expire after 5 minutes, and throws it away after 5 wrong codes', async () => {
    const person = await signUp(server);
    const { secret } = await enableTotp(person, clock);
    const stale = await passwordStep(person);
    clock.at += 5 * 60_000 + 1;
    const expired = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: stale.ticket, code: totpCode(secret, clock.now()) } }));
    expect(expired.problems[0]).toMatchObject({ path: ['ticket'], code: 'MFA_TICKET_INVALID' });

    const guessed = await passwordStep(person);
    for (let i = 0; i < 5; i++) {
      const e = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: guessed.ticket, code: String(100000 + i) } }));
      expect(e.problems[0]?.path).toEqual(['code']);
    }
    const dead = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket: guessed.ticket, code: totpCode(secret, clock.now()) } }));
    expect(dead.problems[0]).toMatchObject({ path: ['ticket'], code: 'MFA_TICKET_INVALID' });
  });

  it('names the field for bad input on the second step', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ code: '123456' }, 'ticket'],
      [{ ticket: 'x', code: 'abc' }, 'code'],
      [{ ticket: 'x' }, 'code'],
      [{ ticket: 'not a ticket', code: '123456' }, 'ticket'],
    ];
    for (const [body, field] of cases) {
      const e = await failure(server.client().request(routes.mfa.loginTotp, { body: body as never }));
      expect(e.status).toBe(400);
      expect(e.problems[0]?.path).toEqual([field]);
    }
  });

  it('limits wrong codes per account without locking the owner out of a place they signed in from', async () => {
    const limitedClock = new SteppingClock();
    const limited = await startTestServer({ clock: limitedClock, env: { AUTH_RATE_LIMIT_ACCOUNT: '3/900' } });
    try {
      // Signed up (and so known) from 127.0.0.1, where the SDK calls come from.
      const person = await signUp(limited);
      const { secret } = await enableTotp(person, limitedClock);
      const inject = (url: string, payload: object, ip: string) => limited.app.inject({ method: 'POST', url: `/api/v10${url}`, payload, remoteAddress: ip });
      const ticketFrom = async (ip: string) => (await inject('/auth/login', { login: person.username, password: person.password }, ip)).json<{ ticket: string }>().ticket;
      // A thief who has the password guesses codes from elsewhere, over several tickets.
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        const response = await inject('/auth/mfa/totp', { ticket: await ticketFrom(ip), code: '000000' }, ip);
        expect(response.statusCode).toBe(400);
      }
      // Unfamiliar places are now held back, even with the right code.
      const held = await inject('/auth/mfa/totp', { ticket: await ticketFrom('203.0.113.4'), code: totpCode(secret, limitedClock.now()) }, '203.0.113.4');
      expect(held.statusCode).toBe(429);
      expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
      // The owner, at home, signs in.
      const home = await passwordStep2(limited, person);
      expect((await limited.client().request(routes.mfa.loginTotp, { body: { ticket: home, code: totpCode(secret, limitedClock.now()) } })).user_id).toBe(person.userId);
    } finally {
      await limited.close();
    }
  });
});

async function passwordStep2(on: TestServer, person: Person): Promise<string> {
  const answer = await on.client().request(routes.auth.login, { body: { login: person.username, password: person.password } });
  if (!isMfaRequired(answer)) throw new Error('expected the second step');
  return answer.ticket;
}

describe('sensitive actions with 2FA on', () => {
  it('turning 2FA off needs a code: a wrong one changes nothing, a recovery code does it', async () => {
    const person = await signUp(server);
    const { backupCodes } = await enableTotp(person, clock);
    const before = await snapshot(person.userId);
    for (const [body, field, code] of [
      [{}, 'code', 'BASE_TYPE_REQUIRED'],
      [{ code: '000000' }, 'code', 'MFA_CODE_INVALID'],
      [{ code: 'nope' }, 'code', 'STRING_TYPE_REGEX'],
    ] as const) {
      const e = await failure(person.client.request(routes.mfa.disableTotp, { body: body as never }));
      expect(e.problems[0]).toMatchObject({ path: [field], code });
    }
    expect(await snapshot(person.userId)).toBe(before);
    const { token } = await person.client.request(routes.mfa.disableTotp, { body: { code: backupCodes[3]! } });
    person.client.token = token;
    expect((await person.client.request(routes.users.getMe)).mfa_enabled).toBe(false);
    expect(
      await db()
        .selectFrom('recovery_codes')
        .select('code_hash')
        .where('user_id', '=', person.userId as Snowflake)
        .execute(),
    ).toHaveLength(0);
    expect(
      await db()
        .selectFrom('totp_secrets')
        .select('user_id')
        .where('user_id', '=', person.userId as Snowflake)
        .execute(),
    ).toHaveLength(0);
    const kinds = (await person.client.request(routes.users.securityEvents)).map((e) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['mfa_disabled', 'mfa_enabled']);
    // A plain password sign-in again.
    const answer = await server.client().request(routes.auth.login, { body: { login: person.username, password: person.password } });
    expect(isMfaRequired(answer)).toBe(false);
    // Off already: a code cannot turn it off again.
    const off = await failure(person.client.request(routes.mfa.disableTotp, { body: { code: '123456' } }));
    expect(off.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_NOT_ENABLED' });
  });

  it('regenerating recovery codes needs the password or a code, and the old codes die', async () => {
    const person = await signUp(server);
    const { secret, backupCodes } = await enableTotp(person, clock);
    const before = await snapshot(person.userId);
    const missing = await failure(person.client.request(routes.mfa.regenerateCodes, { body: { regenerate: true } }));
    expect(missing.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
    const wrong = await failure(person.client.request(routes.mfa.regenerateCodes, { body: { regenerate: true, password: 'wrong password' } }));
    expect(wrong.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_DOES_NOT_MATCH' });
    const notTrue = await failure(person.client.request(routes.mfa.regenerateCodes, { body: { regenerate: false as never, password: person.password } }));
    expect(notTrue.problems[0]?.path).toEqual(['regenerate']);
    expect(await snapshot(person.userId)).toBe(before);

    const byPassword = await person.client.request(routes.mfa.regenerateCodes, { body: { regenerate: true, password: person.password } });
    expect(byPassword.backup_codes).toHaveLength(10);
    const byCode = await person.client.request(routes.mfa.regenerateCodes, { body: { regenerate: true, code: totpCode(secret, clock.now()) } });
    const ticket = (await passwordStep(person)).ticket;
    for (const old of [backupCodes[0]!, byPassword.backup_codes[0]!.code]) {
      const e = await failure(server.client().request(routes.mfa.loginTotp, { body: { ticket, code: old } }));
      expect(e.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_INVALID' });
    }
    expect((await server.client().request(routes.mfa.loginTotp, { body: { ticket, code: byCode.backup_codes[0]!.code } })).user_id).toBe(person.userId);
  });

  it('changing the password or e-mail needs the password and, with 2FA on, a code as well', async () => {
    const person = await signUp(server);
    const { secret } = await enableTotp(person, clock);
    const before = await snapshot(person.userId);
    const noCode = await failure(person.client.request(routes.users.updateMe, { body: { password: person.password, new_password: 'a brand new secret' } }));
    expect(noCode.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_REQUIRED' });
    const noPassword = await failure(person.client.request(routes.users.updateMe, { body: { code: totpCode(secret, clock.now()), email: 'x@example.org' } }));
    expect(noPassword.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
    const wrongCode = await failure(person.client.request(routes.users.updateMe, { body: { password: person.password, code: totpCode(secret, clock.now() - 10 * 60_000), email: 'x@example.org' } }));
    expect(wrongCode.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_INVALID' });
    expect(await snapshot(person.userId)).toBe(before);
    const changed = await person.client.request(routes.users.updateMe, { body: { password: person.password, code: totpCode(secret, clock.now()), email: `${person.username}@example.org` } });
    expect(changed.email).toBe(`${person.username}@example.org`);
    // Deleting the account, too.
    const deleteWithoutCode = await failure(person.client.request(routes.users.deleteMe, { body: { password: person.password } }));
    expect(deleteWithoutCode.problems[0]).toMatchObject({ path: ['code'], code: 'MFA_CODE_REQUIRED' });
    expect((await person.client.request(routes.users.getMe)).deletion_scheduled_at).toBeNull();
    // Other profile fields need neither.
    expect((await person.client.request(routes.users.updateMe, { body: { bio: 'hello' } })).bio).toBe('hello');
  });
});
