import { type TestAccount, startOidcProvider } from '../packages/server/src/testing/oidc-provider';

/**
 * The OpenID provider the browser journeys sign in at (playwright.config.ts starts it beside
 * Parley): the same test provider as the API tests', on a fixed port, knowing Parley's
 * callback. Each journey signs in as its own account.
 */
const port = Number(process.env.E2E_OIDC_PORT ?? 18_085);
const parley = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 18_080)}`;

const account = (login: string, name: string, email_verified = true): TestAccount => ({
  login,
  password: `${login} at the provider`,
  email: `${login}@example.org`,
  email_verified,
  name,
  preferred_username: login,
});

await startOidcProvider({
  port,
  redirectUris: [`${parley}/api/v10/auth/oidc/testid/callback`],
  accounts: [account('ada', 'Ada Lovelace'), account('grace', 'Grace Hopper'), account('linus', 'Linus Torvalds'), account('mallory', 'Mallory', false)],
});
console.log(`OpenID provider for the e2e journeys on http://127.0.0.1:${port}`);
