import type { SsoErrorCode } from '@parley/protocol';
import * as oidc from 'openid-client';
import { type SignInClaims, readClaims } from './claims';
import type { Flow } from './flow-cookie';
import { ProviderUnavailableError, type OidcProviders } from './providers';

/** Why a callback could not produce claims, as the error code the web page shows. */
export class CallbackError extends Error {
  constructor(
    readonly code: SsoErrorCode,
    cause?: unknown,
  ) {
    super(`Single sign-on callback failed: ${code}`, { cause });
    this.name = 'CallbackError';
  }
}

/** The authorization request of a new flow: where to send the browser, and what to remember. */
export async function authorizationRequest(providers: OidcProviders, providerId: string): Promise<{ url: URL; secrets: Pick<Flow, 'state' | 'nonce' | 'verifier'> }> {
  const config = await providers.configuration(providerId);
  const secrets = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: providers.redirectUri(providerId),
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(secrets.verifier),
    code_challenge_method: 'S256',
    state: secrets.state,
    nonce: secrets.nonce,
  });
  return { url, secrets };
}

/**
 * The provider's answer turned into claims: openid-client checks the response's state and
 * issuer, exchanges the code with the PKCE verifier, and checks the ID token (signature,
 * audience, expiry, nonce). Throws CallbackError with what to tell the person.
 */
export async function claimsFromCallback(providers: OidcProviders, flow: Flow, query: Record<string, string | undefined>): Promise<SignInClaims> {
  if (query.error) throw new CallbackError(query.error === 'access_denied' ? 'denied' : 'failed');
  // The URL the provider redirected to, rebuilt from PUBLIC_URL: behind a proxy the request's own
  // host may differ, and the token request must name the redirect URI exactly as registered.
  const currentUrl = new URL(providers.redirectUri(flow.provider));
  for (const [key, value] of Object.entries(query)) if (value !== undefined) currentUrl.searchParams.set(key, value);
  try {
    const config = await providers.configuration(flow.provider);
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    return await readClaims(config, tokens);
  } catch (error) {
    throw new CallbackError(classify(error), error);
  }
}

function classify(error: unknown): SsoErrorCode {
  if (error instanceof ProviderUnavailableError) return 'unavailable';
  // openid-client wraps what went wrong in a ClientError: look down the chain of causes.
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof oidc.AuthorizationResponseError) return e.error === 'access_denied' ? 'denied' : 'failed';
    // A used or expired code.
    if (e instanceof oidc.ResponseBodyError) return e.error === 'invalid_grant' ? 'expired' : 'failed';
    // fetch failing (connection refused, DNS) or the request timing out.
    if (e instanceof TypeError || e.name === 'TimeoutError' || e.name === 'AbortError') return 'unavailable';
    // A state that does not match this browser's flow.
    if (/"state"/.test(e.message)) return 'expired';
  }
  return 'failed';
}
