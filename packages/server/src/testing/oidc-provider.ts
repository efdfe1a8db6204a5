import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** Someone who can sign in at the test provider. */
export interface TestAccount {
  /** What they type in the provider's "Username" field; also their `sub`. */
  login: string;
  password: string;
  email: string;
  email_verified: boolean;
  name: string;
  preferred_username?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Adds (or replaces) an account; tests make their own so they never share an identity. */
  addAccount(account: TestAccount): void;
  /** `OIDC_PROVIDERS` naming this provider as `id`, shown as `name`. */
  providersEnv(id: string, name: string): string;
  close(): Promise<void>;
}

/** Accounts every test provider starts with: one whose e-mail the provider vouches for, one it does not. */
const DEFAULT_ACCOUNTS: TestAccount[] = [
  { login: 'ada', password: 'analytical engine', email: 'ada@example.org', email_verified: true, name: 'Ada Lovelace', preferred_username: 'ada' },
  { login: 'mallory', password: 'unverified one', email: 'mallory@example.org', email_verified: false, name: 'Mallory' },
];

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 for the tests: one confidential client
 * (code flow, PKCE required), an in-memory account store, and its own sign-in page instead of
 * oidc-provider's development screens: "Username", "Password", "Sign in" or "Cancel", then
 * straight back to the client with consent granted (no second screen to drive). Tests drive it
 * with fetch (API tests) or through real pages (Chromium).
 */
export async function startOidcProvider(options: { port?: number; redirectUris: string[]; accounts?: TestAccount[] }): Promise<TestOidcProvider> {
  const accounts = new Map<string, TestAccount>((options.accounts ?? DEFAULT_ACCOUNTS).map((a) => [a.login, a]));
  const clientId = 'parley';
  const clientSecret = 'parley-test-client-secret';

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: options.redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, email: account.email, email_verified: account.email_verified, name: account.name, preferred_username: account.preferred_username }),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    cookies: { keys: ['parley-test-provider-cookie-key'] },
    // Explicit lifetimes (seconds), so oidc-provider does not print a notice for each default it uses.
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (!match) return callback(req, res);
    interaction(req, res, match[2] ?? null).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  async function interaction(req: IncomingMessage, res: ServerResponse, action: string | null): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET' && action === null) return page(res, details.uid, null);
    if (req.method !== 'POST') {
      res.statusCode = 405;
      return void res.end();
    }
    if (action === 'abort') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled' }, { mergeWithLastSubmission: false });
    }
    const form = new URLSearchParams(await readBody(req));
    const account = accounts.get(form.get('login') ?? '');
    if (!account || account.password !== form.get('password')) return page(res, details.uid, 'Wrong username or password.');
    const grant = new provider.Grant({ accountId: account.login, clientId: details.params.client_id });
    grant.addOIDCScope('openid email profile');
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: account.login }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    clientId,
    clientSecret,
    addAccount: (account) => void accounts.set(account.login, account),
    providersEnv: (id, name) => JSON.stringify([{ id, name, issuer, client_id: clientId, client_secret: clientSecret }]),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function page(res: ServerResponse, uid: string, error: string | null): void {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test ID: sign in</title></head>
<body>
  <h1>Test ID</h1>
  ${error ? `<p role="alert">${error}</p>` : ''}
  <form method="post" action="/interaction/${uid}/login">
    <label>Username <input name="login" autocomplete="off"></label>
    <label>Password <input name="password" type="password"></label>
    <button type="submit">Sign in</button>
  </form>
  <form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>
</body></html>`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error('Form too large');
  }
  return body;
}
