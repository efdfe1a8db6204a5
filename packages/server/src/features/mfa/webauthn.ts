import type { AuthenticationCredential, RegistrationCredential, Snowflake, WebAuthnOptions } from '@parley/protocol';
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { PasskeyRow, Tables } from '../../db/tables';
import { fieldError } from '../../http/errors';

/** How long a registration or passkey sign-in may take between options and answer. */
const CHALLENGE_LIFETIME_MS = 5 * 60_000;
/** What the browser is told (it shows its own prompt meanwhile). */
const TIMEOUT_MS = 2 * 60_000;

/** Who the passkeys belong to: the site's host name (the RP ID) and the origin pages come from. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/**
 * From PUBLIC_URL when set (behind a proxy, the address people use), else from the request:
 * its Host and protocol. A passkey is bound to the RP ID, a host name: one registered at
 * `localhost` does not work at `chat.example.org`. Browsers refuse IP addresses as RP IDs, so a
 * PUBLIC_URL that is one (`http://127.0.0.1:8080`) cannot serve: the request's host decides then.
 */
export function relyingParty(publicUrl: string | null, request: FastifyRequest, name: string): RelyingParty {
  const configured = publicUrl ? new URL(publicUrl) : null;
  const usable = configured && isIP(configured.hostname.replace(/^\[|\]$/g, '')) === 0;
  const url = usable ? configured : new URL(`${request.protocol}://${request.host}`);
  return { id: url.hostname, origin: url.origin, name };
}

const invalid = () => fieldError('credential', 'PASSKEY_INVALID', 'This passkey could not be verified. Try again.');

/** The challenge a credential answers, from its client data (what the server issued, if genuine). */
export function challengeOf(credential: { response: { clientDataJSON: string } }): string {
  try {
    const data = JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof data.challenge === 'string' && data.challenge) return data.challenge;
  } catch {
    // Falls through: not JSON.
  }
  throw invalid();
}

/** Stores a challenge for a later answer (single-use; see takeChallenge). */
async function storeChallenge(db: Kysely<Tables>, challenge: string, purpose: 'register' | 'sign-in', userId: Snowflake | null, now: number): Promise<void> {
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
  await db
    .insertInto('webauthn_challenges')
    .values({ challenge, purpose, user_id: userId, expires_at: now + CHALLENGE_LIFETIME_MS })
    .execute();
}

/**
 * Uses up the challenge a credential answers: it must have been issued for this purpose (and
 * user), and not expired. Deleted before the signature is checked, so it never serves twice.
 */
export async function takeChallenge(db: Kysely<Tables>, credential: { response: { clientDataJSON: string } }, purpose: 'register' | 'sign-in', userId: Snowflake | null, now: number): Promise<string> {
  const challenge = challengeOf(credential);
  let query = db.deleteFrom('webauthn_challenges').where('challenge', '=', challenge).where('purpose', '=', purpose).where('expires_at', '>', now);
  query = userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', userId);
  const result = await query.executeTakeFirst();
  if (result.numDeletedRows === 0n) throw invalid();
  return challenge;
}

/** The WebAuthn user handle of an account: its ID's digits (no personal data). */
const userHandle = (userId: Snowflake) => new TextEncoder().encode(userId);

export async function registrationOptions(
  db: Kysely<Tables>,
  rp: RelyingParty,
  user: { id: Snowflake; username: string; global_name: string | null },
  existing: readonly PasskeyRow[],
  now: number,
): Promise<WebAuthnOptions> {
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userDisplayName: user.global_name ?? user.username,
    userID: userHandle(user.id),
    timeout: TIMEOUT_MS,
    attestationType: 'none',
    // Discoverable, so it can sign in alone, without a username typed first.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) as string[] })),
  });
  await storeChallenge(db, options.challenge, 'register', user.id, now);
  return { ...options };
}

/** The new credential, once its attestation checks out against the challenge issued to this user. */
export async function verifyRegistration(db: Kysely<Tables>, rp: RelyingParty, userId: Snowflake, credential: z.output<typeof RegistrationCredential>, now: number) {
  const challenge = await takeChallenge(db, credential, 'register', userId, now);
  const result = await verifyRegistrationResponse({
    response: credential as RegistrationResponseJSON,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: false,
  }).catch(() => null);
  if (!result?.verified) throw invalid();
  const { credential: created } = result.registrationInfo;
  return {
    credentialId: created.id,
    publicKey: Buffer.from(created.publicKey).toString('base64url'),
    counter: created.counter,
    transports: created.transports ?? credential.response.transports ?? [],
  };
}

/** Options for a passkey sign-in with no account named: any discoverable passkey of this site. */
export async function signInOptions(db: Kysely<Tables>, rp: RelyingParty, now: number): Promise<WebAuthnOptions> {
  const options = await generateAuthenticationOptions({ rpID: rp.id, timeout: TIMEOUT_MS, userVerification: 'required' });
  await storeChallenge(db, options.challenge, 'sign-in', null, now);
  return { ...options };
}

/** Options for a passkey as the second step of a password sign-in: this account's passkeys. Its challenge is kept with the ticket. */
export async function secondFactorOptions(rp: RelyingParty, passkeys: readonly PasskeyRow[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.id,
    timeout: TIMEOUT_MS,
    userVerification: 'preferred',
    allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) as string[] })),
  });
}

/**
 * Checks an assertion made with `passkey` for `challenge`; returns the authenticator's new
 * signature counter. `requireUserVerification`: a passkey alone must have checked its owner (PIN,
 * biometrics); as a second factor, possession is enough.
 */
export async function verifyAssertion(
  rp: RelyingParty,
  passkey: PasskeyRow,
  credential: z.output<typeof AuthenticationCredential>,
  challenge: string,
  requireUserVerification: boolean,
): Promise<number> {
  // The user handle, when the authenticator returns one, must name the passkey's owner.
  const handle = credential.response.userHandle;
  if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.user_id) throw invalid();
  const result = await verifyAuthenticationResponse({
    response: credential as AuthenticationResponseJSON,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: { id: passkey.credential_id, publicKey: Buffer.from(passkey.public_key, 'base64url'), counter: passkey.counter, transports: JSON.parse(passkey.transports) as string[] },
    requireUserVerification,
  }).catch(() => null);
  if (!result?.verified) throw invalid();
  return result.authenticationInfo.newCounter;
}
