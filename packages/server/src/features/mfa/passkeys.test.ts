import { type Snowflake, routes } from '@parley/protocol';
import { isMfaRequired } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../../testing/authenticator';
import { type Person, failure, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';
import { SteppingClock, enableTotp, totpCode } from '../../testing/two-factor';

/*
 * Passkeys through the API, with a software authenticator (testing/authenticator.ts) making
 * real ES256 credentials and signatures that @simplewebauthn/server verifies.
 */

const clock = new SteppingClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock });
});
afterAll(() => server.close());

const db = () => server.db.database.db;
const passkeyRows = (userId: string) =>
  db()
    .selectFrom('passkeys')
    .selectAll()
    .where('user_id', '=', userId as Snowflake)
    .execute();

/** Registers a passkey for `person` made by `authenticator`. */
async function register(person: Person, authenticator: SoftAuthenticator, name = 'Laptop') {
  const options = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: person.password } });
  return person.client.request(routes.mfa.addPasskey, { body: { name, credential: authenticator.create(options) } });
}

describe('passkeys', () => {
  it('registers several with names, lists, renames and removes them (removing needs the password)', async () => {
    const person = await signUp(server);
    const laptop = new SoftAuthenticator(server.url);
    const phone = new SoftAuthenticator(server.url);
    const first = await register(person, laptop, 'Laptop');
    const second = await register(person, phone, 'Phone');
    expect(first).toMatchObject({ name: 'Laptop', last_used_at: null });
    expect((await person.client.request(routes.mfa.listPasskeys)).map((p) => p.name)).toEqual(['Laptop', 'Phone']);

    expect((await person.client.request(routes.mfa.renamePasskey, { params: { passkey_id: second.id }, body: { name: '  Work phone ' } })).name).toBe('Work phone');
    const badName = await failure(person.client.request(routes.mfa.renamePasskey, { params: { passkey_id: second.id }, body: { name: '' } }));
    expect(badName.problems[0]?.path).toEqual(['name']);

    const noProof = await failure(person.client.request(routes.mfa.removePasskey, { params: { passkey_id: first.id }, body: {} }));
    expect(noProof.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
    const wrong = await failure(person.client.request(routes.mfa.removePasskey, { params: { passkey_id: first.id }, body: { password: 'not it at all' } }));
    expect(wrong.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_DOES_NOT_MATCH' });
    expect(await passkeyRows(person.userId)).toHaveLength(2);
    await person.client.request(routes.mfa.removePasskey, { params: { passkey_id: first.id }, body: { password: person.password } });
    expect((await person.client.request(routes.mfa.listPasskeys)).map((p) => p.name)).toEqual(['Work phone']);
    // Each shows in the account's security activity.
    const kinds = (await person.client.request(routes.users.securityEvents)).map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['passkey_removed', 'passkey_added', 'passkey_added']);

    // Someone else's passkey is unknown to you.
    const other = await signUp(server);
    const e = await failure(other.client.request(routes.mfa.renamePasskey, { params: { passkey_id: second.id }, body: { name: 'mine' } }));
    expect(e).toMatchObject({ status: 404, code: 90020 });
    const removeOthers = await failure(other.client.request(routes.mfa.removePasskey, { params: { passkey_id: second.id }, body: { password: other.password } }));
    expect(removeOthers.status).toBe(404);
  });

  it('refuses registration without the password, with a reused or foreign challenge, or from another origin, storing nothing', async () => {
    const person = await signUp(server);
    const authenticator = new SoftAuthenticator(server.url);
    const noPassword = await failure(person.client.request(routes.mfa.passkeyRegistrationOptions, { body: {} }));
    expect(noPassword.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });

    const options = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: person.password } });
    expect(options).toMatchObject({ rp: { id: '127.0.0.1' }, authenticatorSelection: { residentKey: 'required' } });
    // Another site's page cannot register for this one.
    const phishing = new SoftAuthenticator('http://evil.example');
    const foreign = await failure(person.client.request(routes.mfa.addPasskey, { body: { name: 'x', credential: phishing.create(options) } }));
    expect(foreign.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    // That attempt used the challenge up: a genuine answer to it is refused too.
    const reused = await failure(person.client.request(routes.mfa.addPasskey, { body: { name: 'x', credential: authenticator.create(options) } }));
    expect(reused.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    // Someone else's challenge is not yours to answer.
    const other = await signUp(server);
    const theirs = await other.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: other.password } });
    const stolen = await failure(person.client.request(routes.mfa.addPasskey, { body: { name: 'x', credential: authenticator.create(theirs) } }));
    expect(stolen.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    // An expired challenge.
    const late = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: person.password } });
    clock.at += 5 * 60_000 + 1;
    const expired = await failure(person.client.request(routes.mfa.addPasskey, { body: { name: 'x', credential: authenticator.create(late) } }));
    expect(expired.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    // Malformed bodies name their field.
    for (const [body, field] of [
      [{ credential: authenticator.create(options) }, 'name'],
      [{ name: 'x' }, 'credential'],
      [{ name: 'x', credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'not base64url!' } } }, 'credential'],
      [{ name: 'x'.repeat(65), credential: authenticator.create(options) }, 'name'],
    ] as const) {
      const e = await failure(person.client.request(routes.mfa.addPasskey, { body: body as never }));
      expect(e.status).toBe(400);
      expect(e.problems[0]?.path[0]).toBe(field);
    }
    expect(await passkeyRows(person.userId)).toHaveLength(0);
  });

  it('signs in with a passkey alone; its challenge serves once', async () => {
    const person = await signUp(server);
    const authenticator = new SoftAuthenticator(server.url);
    await register(person, authenticator);
    // A forged signature (one bit flipped) is refused, and spends its challenge.
    const forgedFor = await server.client().request(routes.mfa.passkeySignInOptions);
    const forged = authenticator.get(forgedFor);
    const signature = Buffer.from(forged.response.signature, 'base64url');
    signature[signature.length - 1]! ^= 1;
    forged.response.signature = signature.toString('base64url');
    const bad = await failure(server.client().request(routes.mfa.passkeySignIn, { body: { credential: forged } }));
    expect(bad.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });

    const options = await server.client().request(routes.mfa.passkeySignInOptions);
    expect(options).toMatchObject({ rpId: '127.0.0.1', userVerification: 'required' });
    const credential = authenticator.get(options);
    const session = await server.client().request(routes.mfa.passkeySignIn, { body: { credential } });
    expect(session.user_id).toBe(person.userId);
    expect(await server.client(session.token).request(routes.users.getMe)).toMatchObject({ id: person.userId });
    const [row] = await passkeyRows(person.userId);
    expect(row?.last_used_at).not.toBeNull();
    expect(row?.counter).toBe(2);

    const replayed = await failure(server.client().request(routes.mfa.passkeySignIn, { body: { credential } }));
    expect(replayed.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    // A signature by a key the server never registered.
    const stranger = new SoftAuthenticator(server.url);
    stranger.create({ challenge: 'x', rp: { id: '127.0.0.1' }, user: { id: 'eA' } });
    const unknown = await failure(server.client().request(routes.mfa.passkeySignIn, { body: { credential: stranger.get(await server.client().request(routes.mfa.passkeySignInOptions)) } }));
    expect(unknown.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
  });

  it('answers the second step of a password sign-in on an account with 2FA', async () => {
    const person = await signUp(server);
    const authenticator = new SoftAuthenticator(server.url);
    const { secret } = await enableTotp(person, clock);
    // With 2FA on, a code stands in for the password when adding a passkey.
    const options = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { code: totpCode(secret, clock.now()) } });
    await person.client.request(routes.mfa.addPasskey, { body: { name: 'Key', credential: authenticator.create(options) } });

    const answer = await server.client().request(routes.auth.login, { body: { login: person.username, password: person.password } });
    if (!isMfaRequired(answer)) throw new Error('expected the second step');
    expect(answer.totp).toBe(true);
    const request = JSON.parse(answer.webauthn!) as { challenge: string; allowCredentials: { id: string }[] };
    expect(request.allowCredentials.map((c) => c.id)).toEqual([authenticator.credentials[0]!.id.toString('base64url')]);

    // A passkey answer to another challenge (a passkey sign-in's) does not fit this ticket.
    const elsewhere = authenticator.get(await server.client().request(routes.mfa.passkeySignInOptions));
    const mismatch = await failure(server.client().request(routes.mfa.loginWebAuthn, { body: { ticket: answer.ticket, credential: elsewhere } }));
    expect(mismatch.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });

    const session = await server.client().request(routes.mfa.loginWebAuthn, { body: { ticket: answer.ticket, credential: authenticator.get(request as never) } });
    expect(session.user_id).toBe(person.userId);
    const again = await failure(server.client().request(routes.mfa.loginWebAuthn, { body: { ticket: answer.ticket, credential: authenticator.get(request as never) } }));
    expect(again.problems[0]).toMatchObject({ path: ['ticket'], code: 'MFA_TICKET_INVALID' });
  });

  it('dies with its account: an erased account signs in by passkey no more', async () => {
    const instant = await startTestServer({ env: { ACCOUNT_DELETION_GRACE_DAYS: '0' } });
    try {
      const person = await signUp(instant);
      const authenticator = new SoftAuthenticator(instant.url);
      const options = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: person.password } });
      await person.client.request(routes.mfa.addPasskey, { body: { name: 'Key', credential: authenticator.create(options) } });
      await person.client.request(routes.users.deleteMe, { body: { password: person.password } });
      const attempt = authenticator.get(await instant.client().request(routes.mfa.passkeySignInOptions));
      const e = await failure(instant.client().request(routes.mfa.passkeySignIn, { body: { credential: attempt } }));
      expect(e.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    } finally {
      await instant.close();
    }
  });

  it('takes the relying party from PUBLIC_URL when set', async () => {
    const proxied = await startTestServer({ env: { PUBLIC_URL: 'https://chat.example.org' } });
    try {
      const person = await signUp(proxied);
      const options = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: person.password } });
      expect(options).toMatchObject({ rp: { id: 'chat.example.org' } });
      const authenticator = new SoftAuthenticator('https://chat.example.org');
      expect((await person.client.request(routes.mfa.addPasskey, { body: { name: 'Key', credential: authenticator.create(options) } })).name).toBe('Key');
      // The server's own address is not the origin people use: refused.
      const direct = new SoftAuthenticator(proxied.url);
      const next = await person.client.request(routes.mfa.passkeyRegistrationOptions, { body: { password: person.password } });
      const e = await failure(person.client.request(routes.mfa.addPasskey, { body: { name: 'Key 2', credential: direct.create(next) } }));
      expect(e.problems[0]).toMatchObject({ path: ['credential'], code: 'PASSKEY_INVALID' });
    } finally {
      await proxied.close();
    }
  });

  it('takes it from the request when PUBLIC_URL is an IP address (never a valid RP ID)', async () => {
    const byIp = await startTestServer({ env: { PUBLIC_URL: 'http://127.0.0.1:8080' } });
    try {
      const person = await signUp(byIp);
      const response = await byIp.app.inject({
        method: 'POST',
        url: '/api/v10/users/@me/passkeys/options',
        headers: { authorization: person.client.token!, host: 'localhost:8080' },
        payload: { password: person.password },
      });
      expect(response.json()).toMatchObject({ rp: { id: 'localhost' } });
    } finally {
      await byIp.close();
    }
  });
});
