import { API_PREFIX, SSO_COMPLETE_PATH, SsoErrorCode, SsoTicket, buildPath, routes } from '@parley/protocol';

export { SSO_COMPLETE_PATH };

/**
 * Where a browser goes to sign in with a provider: a navigation, not a fetch (the provider's
 * pages must be shown). `baseUrl` is "" for the page's own origin.
 */
export function ssoStartUrl(baseUrl: string, providerId: string): string {
  return `${baseUrl.replace(/\/$/, '')}${API_PREFIX}${buildPath(routes.sso.start.path, { provider_id: providerId })}`;
}

/** What the server put in the fragment of the SSO completion page (SSO_COMPLETE_PATH). */
export type SsoLanding =
  /** Redeem it with `routes.sso.redeemTicket`: signs in, or says what the next step is. */
  | { kind: 'ticket'; ticket: string }
  /** Linking from settings worked. */
  | { kind: 'linked'; provider: string }
  | { kind: 'error'; code: SsoErrorCode; fromSettings: boolean }
  | { kind: 'none' };

/** Reads the completion page's fragment (`location.hash`). Unknown or missing values give `none`. */
export function parseSsoLanding(hash: string): SsoLanding {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const ticket = SsoTicket.safeParse(params.get('ticket'));
  if (ticket.success) return { kind: 'ticket', ticket: ticket.data };
  const linked = params.get('linked');
  if (linked) return { kind: 'linked', provider: linked };
  const error = SsoErrorCode.safeParse(params.get('error'));
  if (error.success) return { kind: 'error', code: error.data, fromSettings: params.get('from') === 'settings' };
  return { kind: 'none' };
}

/** A sentence a person can act on for each way a provider round trip can fail. */
export function ssoErrorMessage(code: SsoErrorCode): string {
  switch (code) {
    case 'denied':
      return 'Sign-in was cancelled at the provider. Nothing was changed.';
    case 'unavailable':
      return 'The sign-in provider could not be reached. Try again in a moment, or use another way to sign in.';
    case 'expired':
      return 'This sign-in expired or was started in another browser. Please start again.';
    case 'too_many':
      return 'Too many sign-in attempts from your network. Wait a minute, then try again.';
    case 'identity_taken':
      return 'That provider account already signs in to another Parley account. Remove it there first.';
    case 'provider_already_linked':
      return 'Your account already has an account from this provider linked. Remove it first to link another.';
    case 'failed':
      return 'The sign-in provider gave an answer Parley could not accept. Please try again.';
  }
}
