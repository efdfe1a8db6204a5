import { Email } from '@parley/protocol';
import * as oidc from 'openid-client';

/** Who the provider says signed in, reduced to what Parley uses. */
export interface SignInClaims {
  /** The ID token's `sub`: the only claim that identifies the person at this provider. */
  subject: string;
  /** Lowercased, and only when it is a valid address. */
  email: string | null;
  /** Whether the provider vouches that the person controls `email`. */
  emailVerified: boolean;
  preferredUsername: string | null;
  name: string | null;
}

type Claims = Record<string, unknown>;

/**
 * The claims of a completed code exchange: the ID token's, completed from the UserInfo endpoint
 * when the ID token leaves out e-mail or names (providers that follow the spec strictly put
 * scope-requested claims only there). openid-client checks that UserInfo's `sub` is the ID
 * token's. E-mail and its verification always come from the same source.
 */
export async function readClaims(config: oidc.Configuration, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): Promise<SignInClaims> {
  const idToken = tokens.claims();
  if (!idToken) throw new Error('The provider returned no ID token');
  let claims: Claims = idToken;
  const incomplete = idToken.email === undefined || (idToken.preferred_username === undefined && idToken.name === undefined);
  if (incomplete && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
    const userInfo: Claims = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
    const emailFrom = idToken.email !== undefined ? idToken : userInfo;
    claims = { ...userInfo, ...idToken, email: emailFrom.email, email_verified: emailFrom.email_verified };
  }
  const email = typeof claims.email === 'string' ? Email.safeParse(claims.email) : null;
  return {
    subject: idToken.sub,
    email: email?.success ? email.data : null,
    // Some providers send the string "true".
    emailVerified: email?.success === true && (claims.email_verified === true || claims.email_verified === 'true'),
    preferredUsername: stringClaim(claims.preferred_username),
    name: stringClaim(claims.name),
  };
}

function stringClaim(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, 256) : null;
}
