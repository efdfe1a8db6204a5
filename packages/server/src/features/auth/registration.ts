import type { InstanceSettings } from '@parley/protocol';
import { isMinorOn } from '@parley/protocol/admin';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';
import type { RegistrationInvites } from '../instance/invites';

/**
 * The instance's sign-up policy, applied to both new accounts and guests upgrading: the
 * registration mode, the invite it may require, and whether an e-mail address is required.
 */
export function assertRegistrationAllowed(settings: InstanceSettings, request: { invite?: string | undefined; email?: string | undefined }): void {
  if (settings.registration_mode === 'closed') throw new ApiError('REGISTRATION_CLOSED');
  if (settings.registration_mode === 'invite' && !request.invite) {
    throw fieldError('invite', 'INVITE_REQUIRED', 'An invite code is needed to sign up on this instance.');
  }
  if ((settings.require_email || settings.require_verified_email) && !request.email) {
    throw fieldError('email', 'EMAIL_REQUIRED', 'An e-mail address is required on this instance.');
  }
}

/** In "invite" mode, uses up the invite inside the sign-up transaction (so a failed sign-up gives it back). */
export async function claimInviteIfRequired(trx: Kysely<Tables>, invites: RegistrationInvites, settings: InstanceSettings, invite: string | undefined): Promise<void> {
  if (settings.registration_mode !== 'invite') return;
  if (!invite || !(await invites.consume(trx, invite))) {
    throw fieldError('invite', 'INVALID_INVITE', 'This invite is invalid, expired or used up.');
  }
}

/**
 * Whether a new account is a minor, from the birth date sign-up asks for when the instance wants
 * it (ask_birth_date: then it is required). Only the answer is kept, never the date.
 */
export function minorFromBirthDate(settings: InstanceSettings, birthDate: string | undefined, now: number): boolean {
  if (!settings.ask_birth_date && birthDate === undefined) return false;
  if (birthDate === undefined) throw fieldError('birth_date', 'BASE_TYPE_REQUIRED', 'This instance asks for your date of birth.');
  const minor = isMinorOn(birthDate, new Date(now));
  if (minor === null) throw fieldError('birth_date', 'BASE_TYPE_INVALID', 'Enter your real date of birth.');
  return minor;
}
