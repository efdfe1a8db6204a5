import type { InstanceSettings } from '@parley/protocol';
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
