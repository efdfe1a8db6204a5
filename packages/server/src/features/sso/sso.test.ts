import { randomBytes } from 'node:crypto';
import { API_PREFIX, SSO_COMPLETE_PATH, type SsoTicketOutcome, routes } from '@parley/protocol';
import { parseSsoLanding, ssoStartUrl, sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock';
import { failure, signUp, uniqueName } from '../../testing/fixtures';
import { type TestAccount, type TestOidcProvider, startOidcProvider } from '../../testing/oidc-provider';
import { RedirectBrowser } from '../../testing/redirect-browser';
import { type TestServer, startTestServer } from '../../testing/server';

/**
 * Single sign-on against a real OpenID provider (oidc-provider on 127.0.0.1), driven like a
 * browser: cookies kept, redirects followed hop by hop, the provider's sign-in form posted.
 */

/** The test server listens on a random port, so PUBLIC_URL is a stand-in the browser maps to it. */
const PUBLIC_URL = 'http://parley.localhost';
const PROVIDER = 'testid';

let idp: TestOidcProvider;
let server: TestServer;
/** Moves the server's clock (ticket expiry); the provider keeps real time. */
let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs };

beforeAll(async () => {
  idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}${API_PREFIX}/auth/oidc/${PROVIDER}/callback`] });
  const providers = [
    { id: PROVIDER, name: 'Test ID', issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret },
    // Nothing listens on port 9 (discard) here: a provider that is down.
    { id: 'down', name: 'Down ID', issuer: 'http://127.0.0.1:9', client_id: 'x', client_secret: 'y' },
  ];
  server = await startTestServer({ env: { PUBLIC_URL, OIDC_PROVIDERS: JSON.stringify(providers) }, clock });
});
afterAll(async () => {
  await server?.close();
  await idp?.close();
});

function newBrowser(target: TestServer = server): RedirectBrowser {
  return new RedirectBrowser((url) => (url.origin === PUBLIC_URL ? new URL(url.pathname + url.search, target.url) : url));
}

/** A provider account of its own for one test (so no two tests share an identity). */
function account(overrides: Partial<TestAccount> = {}): TestAccount {
  const login = `p${randomBytes(5).toString('hex')}`;
  const created: TestAccount = { login, password: 'provider password', email: `${login}@example.org`, email_verified: true, name: 'Test Person', preferred_username: login, ...overrides };
  idp.addAccount(created);
  return created;
}

const isCompletion = (url: URL) => url.pathname === SSO_COMPLETE_PATH;

/**
 * "Continue with Test ID" in `browser`: start, the provider's form (when it asks: a browser
 * already signed in there goes straight back), and the callback. Returns what the completion
 * page's fragment says.
 */
async function continueWith(browser: RedirectBrowser, who: TestAccount | null, options: { start?: string; callback?: (url: URL) => URL; cancel?: boolean } = {}) {
  const start = options.start ?? ssoStartUrl(PUBLIC_URL, PROVIDER);
  const isCallback = (url: URL) => url.origin === PUBLIC_URL && url.pathname.endsWith('/callback');
  let reached = await browser.navigate(start, (url) => isCompletion(url) || isCallback(url));
  if (!isCompletion(reached.url) && !isCallback(reached.url)) {
    // The provider's sign-in page.
    expect(reached.response.status).toBe(200);
    expect(await reached.response.text()).toContain('Sign in');
    const action = options.cancel ? 'abort' : 'login';
    const form: Record<string, string> = options.cancel ? {} : { login: who!.login, password: who!.password };
    reached = await browser.navigate(new URL(`${reached.url.pathname}/${action}`, reached.url), (url) => isCompletion(url) || isCallback(url), { form });
  }
  if (isCallback(reached.url)) {
    reached = await browser.navigate(options.callback ? options.callback(reached.url) : reached.url, isCompletion);
  }
  expect(isCompletion(reached.url), `ended at ${reached.url.href}`).toBe(true);
  expect(reached.url.origin).toBe(PUBLIC_URL);
  return parseSsoLanding(reached.url.hash);
}

async function ticketOf(browser: RedirectBrowser, who: TestAccount): Promise<string> {
  const landing = await continueWith(browser, who);
  if (landing.kind !== 'ticket') throw new Error(`expected a ticket, got ${JSON.stringify(landing)}`);
  return landing.ticket;
}

const redeem = (ticket: string) => server.client().request(routes.sso.redeemTicket, { body: { ticket } });

async function outcome<A extends SsoTicketOutcome['action']>(ticket: string, action: A): Promise<Extract<SsoTicketOutcome, { action: A }>> {
  const result = await redeem(ticket);
  expect(result.action).toBe(action);
  return result as Extract<SsoTicketOutcome, { action: A }>;
}

/** A new Parley account through the provider; returns its token and ID. */
async function signUpWithProvider(who: TestAccount, username = uniqueName('sso')) {
  const ticket = await ticketOf(newBrowser(), who);
  await outcome(ticket, 'sign_up');
  return server.client().request(routes.sso.completeSignUp, { body: { ticket, username } });
}

describe('single sign-on: providers', () => {
  it('lists the configured providers for the login screen, with SSO-only off', async () => {
    expect(await server.client().request(routes.sso.providers)).toEqual({
      providers: [
        { id: PROVIDER, name: 'Test ID' },
        { id: 'down', name: 'Down ID' },
      ],
      sso_only: false,
    });
  });

  it('ends on the web page with "unavailable" when the provider is down, and 404 for an unknown provider', async () => {
    const browser = newBrowser();
    const { url } = await browser.navigate(ssoStartUrl(PUBLIC_URL, 'down'), isCompletion);
    expect(parseSsoLanding(url.hash)).toEqual({ kind: 'error', code: 'unavailable', fromSettings: false });
    const unknown = await server.app.inject({ method: 'GET', url: `${API_PREFIX}/auth/oidc/nope/start` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 90111 });
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce, kept in an HttpOnly SameSite=Lax cookie', async () => {
    const response = await server.app.inject({ method: 'GET', url: `${API_PREFIX}/auth/oidc/${PROVIDER}/start` });
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location as string);
    expect(location.origin).toBe(idp.issuer);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: idp.clientId,
      redirect_uri: `${PUBLIC_URL}${API_PREFIX}/auth/oidc/${PROVIDER}/callback`,
      code_challenge_method: 'S256',
      scope: 'openid email profile',
    });
    for (const p of ['state', 'nonce', 'code_challenge']) expect(location.searchParams.get(p)).toMatch(/^[\w-]{20,}$/);
    const cookie = String(response.headers['set-cookie']);
    for (const attribute of ['parley_sso=', 'HttpOnly', 'SameSite=Lax', `Path=${API_PREFIX}/auth/oidc`, 'Max-Age=600']) expect(cookie).toContain(attribute);
  });
});

describe('single sign-on: new accounts and signing in again', () => {
  it('creates an account with the chosen username, the verified e-mail and no password; the same identity signs in to it again', async () => {
    const who = account({ name: 'Ada Lovelace' });
    const ticket = await ticketOf(newBrowser(), who);
    const proposal = await outcome(ticket, 'sign_up');
    expect(proposal).toEqual({ action: 'sign_up', provider: { id: PROVIDER, name: 'Test ID' }, username: who.login, global_name: 'Ada Lovelace', email: who.email });

    const username = uniqueName('ada');
    const { token, user_id } = await server.client().request(routes.sso.completeSignUp, { body: { ticket, username } });
    const me = await server.client(token).request(routes.users.getMe);
    expect(me).toMatchObject({ id: user_id, username, global_name: 'Ada Lovelace', email: who.email, verified: true });
    const identities = await server.client(token).request(routes.sso.listIdentities);
    expect(identities).toEqual([{ id: expect.any(String), provider: { id: PROVIDER, name: 'Test ID' }, email: who.email, created_at: expect.any(String) }]);
    // No password: a password sign-in cannot reach it.
    const password = await failure(server.client().request(routes.auth.login, { body: { login: username, password: 'anything at all' } }));
    expect(password.problems[0]).toMatchObject({ path: ['login'], code: 'INVALID_LOGIN' });

    // Another browser (the provider asks again), then the same browser (the provider remembers).
    const again = newBrowser();
    for (let round = 0; round < 2; round++) {
      const signIn = await outcome(await ticketOf(again, who), 'sign_in');
      expect(signIn.user_id).toBe(user_id);
      expect((await server.client(signIn.token).request(routes.users.getMe)).id).toBe(user_id);
    }
    // Sessions like a password login's: listed, with the device cookie set by the redeeming request.
    expect(await server.client(token).request(routes.auth.listSessions)).toHaveLength(3);
  });

  it('proposes a free username when the claims’ one is taken, and checks the chosen one like sign-up does', async () => {
    const taken = await signUp(server);
    const who = account({ preferred_username: taken.username });
    const ticket = await ticketOf(newBrowser(), who);
    const proposal = await outcome(ticket, 'sign_up');
    expect(proposal.username).not.toBe(taken.username);

    const bad = await failure(server.client().request(routes.sso.completeSignUp, { body: { ticket, username: 'a b' } }));
    expect(bad.problems[0]).toMatchObject({ path: ['username'], code: 'STRING_TYPE_REGEX' });
    const clash = await failure(server.client().request(routes.sso.completeSignUp, { body: { ticket, username: taken.username } }));
    expect(clash.problems[0]).toMatchObject({ path: ['username'], code: 'USERNAME_ALREADY_TAKEN' });
    // Refusals used nothing up: the ticket still creates the account.
    await server.client().request(routes.sso.completeSignUp, { body: { ticket, username: proposal.username } });
  });

  it('tickets are single-use and expire', async () => {
    const who = account();
    const ticket = await ticketOf(newBrowser(), who);
    await server.client().request(routes.sso.completeSignUp, { body: { ticket, username: uniqueName('once') } });
    const reused = await failure(server.client().request(routes.sso.completeSignUp, { body: { ticket, username: uniqueName('twice') } }));
    expect(reused.problems[0]).toMatchObject({ path: ['ticket'], code: 'INVALID_TICKET' });

    const signIn = await ticketOf(newBrowser(), who);
    await outcome(signIn, 'sign_in');
    const again = await failure(redeem(signIn));
    expect(again.problems[0]).toMatchObject({ path: ['ticket'], code: 'INVALID_TICKET' });

    const late = await ticketOf(newBrowser(), account());
    offsetMs = 16 * 60 * 1000;
    try {
      const expired = await failure(redeem(late));
      expect(expired.problems[0]).toMatchObject({ path: ['ticket'], code: 'INVALID_TICKET' });
    } finally {
      offsetMs = 0;
    }
    const malformed = await failure(redeem('not-a-ticket'));
    expect(malformed.problems[0]).toMatchObject({ path: ['ticket'] });
  });

  it('respects the registration mode: invite-only needs an invite, closed creates nothing', async () => {
    const settings = server.db.database.db;
    const setMode = (mode: string) =>
      settings
        .insertInto('instance_settings')
        .values({ key: 'registration_mode', value: JSON.stringify(mode) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(mode) }))
        .execute();
    try {
      await setMode('invite');
      const ticket = await ticketOf(newBrowser(), account());
      const noInvite = await failure(server.client().request(routes.sso.completeSignUp, { body: { ticket, username: uniqueName() } }));
      expect(noInvite.problems[0]).toMatchObject({ path: ['invite'], code: 'INVITE_REQUIRED' });
      await setMode('closed');
      const closed = await failure(server.client().request(routes.sso.completeSignUp, { body: { ticket, username: uniqueName() } }));
      expect(closed.code).toBe(90002);
    } finally {
      await setMode('open');
    }
  });
});

describe('single sign-on: an e-mail that matches an existing account', () => {
  it('links only with that account’s password: a wrong one links nothing; then the identity signs in to it', async () => {
    const email = `${uniqueName('owner')}@example.org`;
    const owner = await signUp(server, { email });
    const who = account({ email, email_verified: true });
    const ticket = await ticketOf(newBrowser(), who);
    expect(await outcome(ticket, 'link')).toEqual({ action: 'link', provider: { id: PROVIDER, name: 'Test ID' }, email, has_password: true });

    const wrong = await failure(server.client().request(routes.sso.link, { body: { ticket, password: 'not the password' } }));
    expect(wrong.status).toBe(400);
    expect(wrong.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_DOES_NOT_MATCH' });
    expect(await owner.client.request(routes.sso.listIdentities)).toEqual([]);
    const empty = await failure(server.client().request(routes.sso.link, { body: { ticket, password: '' } }));
    expect(empty.problems[0]).toMatchObject({ path: ['password'] });

    const { token, user_id } = await server.client().request(routes.sso.link, { body: { ticket, password: owner.password } });
    expect(user_id).toBe(owner.userId);
    expect((await server.client(token).request(routes.users.getMe)).id).toBe(owner.userId);
    expect(await owner.client.request(routes.sso.listIdentities)).toHaveLength(1);
    // From now on the provider signs in to that account directly.
    expect((await outcome(await ticketOf(newBrowser(), who), 'sign_in')).user_id).toBe(owner.userId);
  });

  it('an account with two-factor on is not linked on its password alone', async () => {
    const email = `${uniqueName('guarded')}@example.org`;
    const owner = await signUp(server, { email });
    // Arranged behind the API's back: what matters here is only that the account has 2FA on.
    await server.db.database.db
      .updateTable('users')
      .set({ mfa_enabled: 1 })
      .where('id', '=', owner.userId as never)
      .execute();
    const ticket = await ticketOf(newBrowser(), account({ email, email_verified: true }));
    const refused = await failure(server.client().request(routes.sso.link, { body: { ticket, password: owner.password } }));
    expect(refused.problems[0]).toMatchObject({ path: ['password'], code: 'MFA_REQUIRED' });
    expect(await owner.client.request(routes.sso.listIdentities)).toEqual([]);
  });

  it('counts wrong passwords like failed logins of that account', async () => {
    const limited = await startTestServer({
      env: { PUBLIC_URL, OIDC_PROVIDERS: idp.providersEnv(PROVIDER, 'Test ID'), AUTH_RATE_LIMIT_ACCOUNT: '2/900' },
    });
    try {
      const email = `${uniqueName('target')}@example.org`;
      const owner = await signUp(limited, { email });
      const ticket = await ticketOf(newBrowser(limited), account({ email }));
      for (const guess of ['guess one', 'guess two']) await failure(limited.client().request(routes.sso.link, { body: { ticket, password: guess } }));
      const locked = await failure(limited.client().request(routes.sso.link, { body: { ticket, password: owner.password } }));
      expect(locked.status).toBe(429);
      expect(await owner.client.request(routes.sso.listIdentities)).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('never offers to link on an unverified e-mail: it proposes a new account, without that address', async () => {
    const email = `${uniqueName('victim')}@example.org`;
    const victim = await signUp(server, { email });
    const who = account({ email, email_verified: false });
    const ticket = await ticketOf(newBrowser(), who);
    const proposal = await outcome(ticket, 'sign_up');
    expect(proposal.email).toBeNull();
    // A link ticket is what it is not: the password route refuses it.
    const link = await failure(server.client().request(routes.sso.link, { body: { ticket, password: victim.password } }));
    expect(link.problems[0]).toMatchObject({ path: ['ticket'], code: 'INVALID_TICKET' });

    const { token, user_id } = await server.client().request(routes.sso.completeSignUp, { body: { ticket, username: uniqueName('other') } });
    expect(user_id).not.toBe(victim.userId);
    expect((await server.client(token).request(routes.users.getMe)).email).toBeNull();
    expect(await victim.client.request(routes.sso.listIdentities)).toEqual([]);
  });
});

describe('single sign-on: refusals end on the web page, never a 500', () => {
  it('refuses a tampered state, a callback in a browser that did not start it, and a cancelled sign-in; nothing is created', async () => {
    const who = account();
    const tamper = (url: URL) => {
      const changed = new URL(url);
      changed.searchParams.set('state', 'x'.repeat(43));
      return changed;
    };
    expect(await continueWith(newBrowser(), who, { callback: tamper })).toEqual({ kind: 'error', code: 'expired', fromSettings: false });

    // The callback URL carried to another browser (login CSRF): no flow cookie there.
    let stolen: URL | null = null;
    await continueWith(newBrowser(), who, {
      callback: (url) => {
        stolen = url;
        return url;
      },
    });
    const elsewhere = await newBrowser().navigate(stolen!, isCompletion);
    expect(parseSsoLanding(elsewhere.url.hash)).toMatchObject({ kind: 'error', code: 'expired' });

    expect(await continueWith(newBrowser(), who, { cancel: true })).toEqual({ kind: 'error', code: 'denied', fromSettings: false });
    const count = await server.db.database.db
      .selectFrom('user_identities')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('subject', '=', who.login)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('a replayed callback (the same code again, even with the flow cookie put back) is refused', async () => {
    const browser = newBrowser();
    const host = new URL(server.url).host;
    let callback: URL | null = null;
    let flowCookie: string | null = null;
    await continueWith(browser, account(), {
      callback: (url) => {
        callback = url;
        flowCookie = browser.cookie(host, 'parley_sso');
        return url;
      },
    });
    expect(browser.cookie(host, 'parley_sso')).toBeNull();
    browser.setCookie(host, 'parley_sso', flowCookie!);
    const replay = await browser.navigate(callback!, isCompletion);
    expect(parseSsoLanding(replay.url.hash)).toMatchObject({ kind: 'error', code: 'expired' });
  });

  it('counts callbacks as sign-in attempts from the address (each costs a request to the provider)', async () => {
    const limited = await startTestServer({ env: { PUBLIC_URL, OIDC_PROVIDERS: idp.providersEnv(PROVIDER, 'Test ID'), AUTH_RATE_LIMIT_IP: '1/60' } });
    try {
      const browser = newBrowser(limited);
      expect((await continueWith(browser, account())).kind).toBe('ticket');
      expect(await continueWith(browser, account())).toEqual({ kind: 'error', code: 'too_many', fromSettings: false });
    } finally {
      await limited.close();
    }
  });

  it('validates the callback query', async () => {
    const response = await server.app.inject({ method: 'GET', url: `${API_PREFIX}/auth/oidc/${PROVIDER}/callback?state=${'x'.repeat(600)}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 50035, errors: { state: expect.anything() } });
  });
});

describe('single sign-on: linking from settings and removing', () => {
  it('links a provider to the signed-in account through a single-use ticket, lists it, and removes it while a password remains', async () => {
    const person = await signUp(server);
    const who = account({ email: `${uniqueName('other')}@example.org` });
    const { location } = await person.client.request(routes.sso.startLink, { body: { provider: PROVIDER } });
    expect(location).toMatch(new RegExp(`^${PUBLIC_URL}${API_PREFIX}/auth/oidc/${PROVIDER}/start\\?link=[\\w-]{43}$`));
    expect(await continueWith(newBrowser(), who, { start: location })).toEqual({ kind: 'linked', provider: PROVIDER });

    const [identity] = await person.client.request(routes.sso.listIdentities);
    expect(identity).toMatchObject({ provider: { id: PROVIDER }, email: who.email });
    expect((await outcome(await ticketOf(newBrowser(), who), 'sign_in')).user_id).toBe(person.userId);

    // The start ticket was used up.
    const reused = await newBrowser().navigate(location, isCompletion);
    expect(parseSsoLanding(reused.url.hash)).toEqual({ kind: 'error', code: 'expired', fromSettings: true });
    // Already linked to this provider.
    const twice = await failure(person.client.request(routes.sso.startLink, { body: { provider: PROVIDER } }));
    expect(twice.problems[0]).toMatchObject({ path: ['provider'], code: 'PROVIDER_ALREADY_LINKED' });

    await person.client.request(routes.sso.removeIdentity, { params: { identity_id: identity!.id } });
    expect(await person.client.request(routes.sso.listIdentities)).toEqual([]);
    const gone = await failure(person.client.request(routes.sso.removeIdentity, { params: { identity_id: identity!.id } }));
    expect(gone.code).toBe(90113);
  });

  it('refuses linking an identity that signs in to another account', async () => {
    const who = account();
    await signUpWithProvider(who);
    const person = await signUp(server);
    const { location } = await person.client.request(routes.sso.startLink, { body: { provider: PROVIDER } });
    expect(await continueWith(newBrowser(), who, { start: location })).toEqual({ kind: 'error', code: 'identity_taken', fromSettings: true });
    expect(await person.client.request(routes.sso.listIdentities)).toEqual([]);
  });

  it('refuses to remove the last way to sign in', async () => {
    const { token } = await signUpWithProvider(account());
    const client = server.client(token);
    const [identity] = await client.request(routes.sso.listIdentities);
    const refused = await failure(client.request(routes.sso.removeIdentity, { params: { identity_id: identity!.id } }));
    expect(refused).toMatchObject({ status: 400, code: 90112 });
    expect(await client.request(routes.sso.listIdentities)).toHaveLength(1);
  });

  it('validates bodies and parameters', async () => {
    const person = await signUp(server);
    const unknown = await failure(person.client.request(routes.sso.startLink, { body: { provider: 'Not A Slug' } }));
    expect(unknown.problems[0]).toMatchObject({ path: ['provider'] });
    const missing = await failure(person.client.request(routes.sso.startLink, { body: { provider: 'nope' } }));
    expect(missing.status).toBe(404);
    const badId = await failure(person.client.request(routes.sso.removeIdentity, { params: { identity_id: 'x' as never } }));
    expect(badId.problems[0]).toMatchObject({ path: ['identity_id'] });
  });
});

describe('SSO_ONLY', () => {
  let only: TestServer;
  beforeAll(async () => {
    only = await startTestServer({ env: { PUBLIC_URL, OIDC_PROVIDERS: idp.providersEnv(PROVIDER, 'Test ID'), SSO_ONLY: 'true' } });
  });
  afterAll(() => only?.close());

  it('refuses password sign-up, sign-in and guest upgrades, says so in the providers list, and still signs in through the provider', async () => {
    expect((await only.client().request(routes.sso.providers)).sso_only).toBe(true);
    const register = await failure(only.client().request(routes.auth.register, { body: { username: uniqueName(), password: 'long enough pw' } }));
    expect(register).toMatchObject({ status: 403, code: 90110 });

    // An account that has a password (made before SSO-only was turned on).
    const { runCommand } = await import('../../cli/commands');
    const { hashPassword } = await import('../auth/passwords');
    const username = uniqueName('legacy');
    await only.db.database.db
      .insertInto('users')
      .values({ id: String(BigInt(Date.now()) << 22n) as never, username, password_hash: await hashPassword('correct horse battery'), created_at: Date.now() })
      .execute();
    const login = await failure(only.client().request(routes.auth.login, { body: { login: username, password: 'correct horse battery' } }));
    expect(login).toMatchObject({ status: 403, code: 90110 });

    // Admins keep their password (README: so a provider outage cannot lock the operator out).
    const lines = await runCommand(['admin', 'create', uniqueName('root')], only.db.database, { now: () => Date.now() });
    const adminName = /"(.+)"/.exec(lines[0]!)![1]!;
    const oneTime = lines[1]!.split(': ')[1]!;
    expect(sessionOf(await only.client().request(routes.auth.login, { body: { login: adminName, password: oneTime } })).token).toBeTruthy();

    const guest = await only.client().request(routes.auth.guest);
    const upgrade = await failure(only.client(guest.token).request(routes.auth.upgrade, { body: { username: uniqueName(), password: 'long enough pw' } }));
    expect(upgrade).toMatchObject({ status: 403, code: 90110 });

    const ticket = await ticketOf(newBrowser(only), account());
    const { token } = await only.client().request(routes.sso.completeSignUp, { body: { ticket, username: uniqueName('sso') } });
    expect(await only.client(token).request(routes.users.getMe)).toMatchObject({ guest: false });
  });
});
