import { z } from 'zod';
import { TokenResponse } from './auth';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { defineRoute } from './route';
import { Username } from './users';

/** The operator's short name for a provider (`OIDC_PROVIDERS[].id`): it appears in URLs. */
export const ProviderId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'Must be 1–32 lowercase letters, digits or hyphens, starting with a letter or digit');
export type ProviderId = z.infer<typeof ProviderId>;

/** A single-use secret the server hands out between two steps of a sign-in (43 base64url characters). */
export const SsoTicket = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Must be the ticket the server gave you');

export const SsoProvider = z.object({ id: ProviderId, name: z.string() });
export type SsoProvider = z.infer<typeof SsoProvider>;

export const SsoProviders = z.object({
  providers: z.array(SsoProvider),
  /** Password sign-up and sign-in are off: people sign in through a provider (admins excepted). */
  sso_only: z.boolean(),
});
export type SsoProviders = z.infer<typeof SsoProviders>;

/**
 * Why a provider round trip ended without a ticket, as the `error` of the page it ends on
 * (codes, not sentences, so a crafted link cannot put words in the page: sso.ts in the SDK
 * turns them into sentences).
 */
export const SsoErrorCode = z.enum([
  /** The person cancelled at the provider, or it refused (`error=access_denied`). */
  'denied',
  /** The provider could not be reached or answered nonsense. */
  'unavailable',
  /** The round trip took too long, was replayed or was not started in this browser (state, nonce, PKCE). */
  'expired',
  /** Anything else the provider or the response got wrong. */
  'failed',
  /** Too many sign-in attempts from this address (AUTH_RATE_LIMIT_IP). */
  'too_many',
  /** Linking from settings: this provider account already signs in to another Parley account. */
  'identity_taken',
  /** Linking from settings: this Parley account already has an identity from that provider. */
  'provider_already_linked',
]);
export type SsoErrorCode = z.infer<typeof SsoErrorCode>;

/** Where the callback sends the browser: the web page that finishes the sign-in. */
export const SSO_COMPLETE_PATH = '/auth/sso-complete';

const TicketBody = z.object({ ticket: SsoTicket });

/**
 * What a ticket from the callback leads to:
 * - sign_in: the identity was linked already; the session is created by redeeming it;
 * - sign_up: nobody has this identity or its e-mail: choose a username (POST /auth/oidc/complete);
 * - link: a verified e-mail matches an account: prove it is yours (POST /auth/oidc/link).
 */
export const SsoTicketOutcome = z.discriminatedUnion('action', [
  z.object({ action: z.literal('sign_in'), token: z.string(), user_id: Snowflake }),
  z.object({
    action: z.literal('sign_up'),
    provider: SsoProvider,
    /** Proposed from the provider's claims; free, and valid as a username. */
    username: z.string(),
    global_name: z.string().nullable(),
    /** The provider's verified e-mail, given to the new account; null when it has none verified. */
    email: z.string().nullable(),
  }),
  z.object({
    action: z.literal('link'),
    provider: SsoProvider,
    /** The verified e-mail that matched an existing account. */
    email: z.string(),
    /** False when the account has no password to prove it with (it signs in another way). */
    has_password: z.boolean(),
  }),
]);
export type SsoTicketOutcome = z.infer<typeof SsoTicketOutcome>;

export const CompleteSsoSignUpBody = z.object({
  ticket: SsoTicket,
  username: Username,
  /** Needed when the instance's registration mode is "invite". */
  invite: line(Limits.inviteCodeMax, 1).optional(),
});
export type CompleteSsoSignUpBody = z.input<typeof CompleteSsoSignUpBody>;

export const LinkSsoIdentityBody = z.object({
  ticket: SsoTicket,
  /** The existing account's password: proof that the person owns it. */
  password: z.string().min(1).max(Limits.passwordMax),
});
export type LinkSsoIdentityBody = z.input<typeof LinkSsoIdentityBody>;

/** A provider account that signs in to yours. */
export const Identity = z.object({
  id: Snowflake,
  provider: SsoProvider,
  /** The e-mail the provider gave when it was linked, for recognising it; may be null. */
  email: z.string().nullable(),
  created_at: z.iso.datetime(),
});
export type Identity = z.infer<typeof Identity>;

export const StartLinkBody = z.object({ provider: ProviderId });

/** Where to send the browser to link a provider; carries a single-use ticket tied to your session. */
export const StartLinkResponse = z.object({ location: z.string() });

const ProviderParams = z.object({ provider_id: ProviderId });
const callbackValue = (max: number) => z.string().max(max).optional();

export const ssoRoutes = {
  providers: defineRoute({
    method: 'GET',
    path: '/auth/providers',
    summary: 'Single sign-on providers this instance offers, and whether passwords are off',
    tag: 'Auth',
    auth: 'none',
    response: SsoProviders,
  }),
  start: defineRoute({
    method: 'GET',
    path: '/auth/oidc/:provider_id/start',
    summary: 'Browser navigation: redirects to the provider (authorization code with PKCE, state and nonce)',
    tag: 'Auth',
    auth: 'none',
    params: ProviderParams,
    query: z.object({ link: SsoTicket.optional().describe('From POST /users/@me/identities: links the provider to your account instead of signing in') }),
    response: null,
    redirect: true,
  }),
  callback: defineRoute({
    method: 'GET',
    path: '/auth/oidc/:provider_id/callback',
    summary: `The provider redirects the browser here; it continues to ${SSO_COMPLETE_PATH} with a ticket or an error in the fragment`,
    tag: 'Auth',
    auth: 'none',
    params: ProviderParams,
    query: z.object({
      code: callbackValue(4096),
      state: callbackValue(512),
      iss: callbackValue(2048),
      error: callbackValue(256),
      error_description: callbackValue(2048),
      error_uri: callbackValue(2048),
    }),
    response: null,
    redirect: true,
  }),
  redeemTicket: defineRoute({
    method: 'POST',
    path: '/auth/oidc/ticket',
    summary: 'What a ticket from the callback leads to; a sign-in ticket is used up and returns the session token',
    tag: 'Auth',
    auth: 'none',
    body: TicketBody,
    response: SsoTicketOutcome,
  }),
  completeSignUp: defineRoute({
    method: 'POST',
    path: '/auth/oidc/complete',
    summary: 'Create the account proposed by a sign-up ticket (no password) and sign in',
    tag: 'Auth',
    auth: 'none',
    body: CompleteSsoSignUpBody,
    response: TokenResponse,
  }),
  link: defineRoute({
    method: 'POST',
    path: '/auth/oidc/link',
    summary: "Link the provider to the existing account whose e-mail matched, with that account's password, and sign in",
    tag: 'Auth',
    auth: 'none',
    body: LinkSsoIdentityBody,
    response: TokenResponse,
  }),
  listIdentities: defineRoute({
    method: 'GET',
    path: '/users/@me/identities',
    summary: 'Provider accounts that sign in to yours',
    tag: 'Users',
    auth: 'person',
    response: z.array(Identity),
  }),
  startLink: defineRoute({
    method: 'POST',
    path: '/users/@me/identities',
    summary: 'Start linking a provider: returns where to send the browser (valid 5 minutes, once)',
    tag: 'Users',
    auth: 'person',
    body: StartLinkBody,
    response: StartLinkResponse,
  }),
  removeIdentity: defineRoute({
    method: 'DELETE',
    path: '/users/@me/identities/:identity_id',
    summary: 'Unlink a provider account, while another way to sign in remains',
    tag: 'Users',
    auth: 'person',
    params: z.object({ identity_id: Snowflake }),
    response: null,
  }),
};
