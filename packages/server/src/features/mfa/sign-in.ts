import type { MfaRequiredResponse } from '@parley/protocol';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { passkeysOf } from './passkeys';
import { hasRecoveryCodes } from './recovery-codes';
import { createTicket } from './tickets';
import { relyingParty, secondFactorOptions } from './webauthn';

/**
 * A correct password on an account with 2FA: instead of a session, a ticket for the second
 * step and what it may be (Discord's answer to `POST /auth/login`). With passkeys, the WebAuthn
 * challenge is issued now and kept with the ticket.
 */
export async function startSecondFactor(ctx: AppContext, user: UserRow, request: FastifyRequest): Promise<MfaRequiredResponse> {
  const now = ctx.clock.now();
  const passkeys = await passkeysOf(ctx.db, user.id);
  const options = passkeys.length ? await secondFactorOptions(relyingParty(ctx.config.publicUrl, request, (await ctx.settings.get()).name), passkeys) : null;
  const ticket = await createTicket(ctx.db, user.id, options?.challenge ?? null, now);
  return {
    mfa: true,
    ticket,
    totp: true,
    webauthn: options ? JSON.stringify(options) : null,
    backup: await hasRecoveryCodes(ctx.db, user.id),
    sms: false,
  };
}
