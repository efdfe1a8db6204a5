import { type AuthenticationCredential, type LoginBody, type LoginResponse, type MfaRequiredResponse, type Snowflake, type TokenResponse, type WebAuthnOptions, routes } from '@parley/protocol';
import { ParleyApiError } from './errors';
import type { RestClient } from './rest';

/** Whether a login answer asks for the second factor instead of giving a session (an account with 2FA). */
export function isMfaRequired(response: LoginResponse): response is MfaRequiredResponse {
  return 'mfa' in response && response.mfa === true;
}

/**
 * The session of a login answer, for callers that know the account has no 2FA (bots' owners,
 * scripts, tests); throws when the account wants its second factor (use SignInFlow there).
 */
export function sessionOf(response: LoginResponse): TokenResponse {
  if (isMfaRequired(response)) throw new Error('This account has two-factor authentication: finish signing in with SignInFlow (code or passkey).');
  return response;
}

/**
 * Asks the person's authenticator to answer WebAuthn request options (a browser: @simplewebauthn/browser's
 * startAuthentication). Kept outside the SDK, which runs in browsers, Node and terminals alike.
 */
export type PasskeyPrompt = (options: WebAuthnOptions) => Promise<AuthenticationCredential>;

/** Where a sign-in stands. */
export type SignInState =
  | { step: 'password' }
  | {
      step: 'second-factor';
      ticket: string;
      /** Codes from an authenticator app are accepted. */
      totp: boolean;
      /** Recovery codes are accepted (same field as app codes). */
      backup: boolean;
      /** A passkey may answer (its request options, from the login answer). */
      webauthn: WebAuthnOptions | null;
    }
  | { step: 'signed-in'; token: string; userId: Snowflake };

/**
 * The sign-in as a small state machine, so every client walks it the same way: password first;
 * on an account with 2FA, the second step (an app code, a recovery code or a passkey) with the
 * ticket the password earned; or a passkey alone. A refused step throws the API's error and
 * leaves the state where it was, so the person can try again; an expired or used-up ticket
 * (field `ticket`) sends it back to the password step.
 */
export class SignInFlow {
  state: SignInState = { step: 'password' };

  constructor(private readonly rest: RestClient) {}

  async password(body: LoginBody): Promise<SignInState> {
    const answer = await this.rest.request(routes.auth.login, { body });
    if (isMfaRequired(answer)) {
      const webauthn = answer.webauthn ? (JSON.parse(answer.webauthn) as WebAuthnOptions) : null;
      return this.set({ step: 'second-factor', ticket: answer.ticket, totp: answer.totp, backup: answer.backup, webauthn });
    }
    return this.set({ step: 'signed-in', token: answer.token, userId: answer.user_id });
  }

  /** The second step with a 6-digit app code or a recovery code. */
  async code(code: string): Promise<SignInState> {
    const { ticket } = this.secondStep();
    return this.finish(() => this.rest.request(routes.mfa.loginTotp, { body: { ticket, code } }));
  }

  /** The second step with one of the account's passkeys. */
  async passkey(prompt: PasskeyPrompt): Promise<SignInState> {
    const { ticket, webauthn } = this.secondStep();
    if (!webauthn) throw new Error('This account has no passkey.');
    const credential = await prompt(webauthn);
    return this.finish(() => this.rest.request(routes.mfa.loginWebAuthn, { body: { ticket, credential } }));
  }

  /** Signing in with a passkey alone, no password: the authenticator says whose it is. */
  async passkeyAlone(prompt: PasskeyPrompt): Promise<SignInState> {
    const options = await this.rest.request(routes.mfa.passkeySignInOptions);
    const credential = await prompt(options);
    const session = await this.rest.request(routes.mfa.passkeySignIn, { body: { credential } });
    return this.set({ step: 'signed-in', token: session.token, userId: session.user_id });
  }

  /** Back to the password (a different account, or the person gave up on the second step). */
  restart(): SignInState {
    return this.set({ step: 'password' });
  }

  private secondStep() {
    if (this.state.step !== 'second-factor') throw new Error('No sign-in is waiting for a second factor.');
    return this.state;
  }

  private async finish(send: () => Promise<TokenResponse>): Promise<SignInState> {
    try {
      const session = await send();
      return this.set({ step: 'signed-in', token: session.token, userId: session.user_id });
    } catch (error) {
      if (error instanceof ParleyApiError && error.problems.some((p) => p.path[0] === 'ticket')) this.set({ step: 'password' });
      throw error;
    }
  }

  private set(state: SignInState): SignInState {
    this.state = state;
    return state;
  }
}
