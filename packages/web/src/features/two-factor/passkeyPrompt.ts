import type { AuthenticationCredential, RegistrationCredential, WebAuthnOptions } from '@parley/protocol';
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { UserFacingError } from '../../api';

/*
 * The browser's passkey prompts, through @simplewebauthn/browser (only the sign-in screen and
 * settings import this, both loaded lazily, so the chat screen's bundle does not carry it). A
 * closed or timed-out prompt becomes a sentence a person can act on.
 */

function explain(error: unknown): never {
  if (error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'AbortError')) throw new UserFacingError('The passkey prompt was closed or timed out. Try again when ready.');
  if (error instanceof Error && error.name === 'InvalidStateError') throw new UserFacingError('This passkey is already registered to your account.');
  throw error;
}

/** Whether this browser can use passkeys at all. */
export const passkeysSupported = (): boolean => typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function';

/** navigator.credentials.get() for the server's options: what SignInFlow asks for. */
export async function askForPasskey(options: WebAuthnOptions): Promise<AuthenticationCredential> {
  return (await startAuthentication({ optionsJSON: options as never }).catch(explain)) as AuthenticationCredential;
}

/** navigator.credentials.create() for the server's registration options. */
export async function createPasskey(options: WebAuthnOptions): Promise<RegistrationCredential> {
  return (await startRegistration({ optionsJSON: options as never }).catch(explain)) as RegistrationCredential;
}
