import { routes } from '@parley/protocol';
import { Secret, TOTP } from 'otpauth';
import type { Person } from './fixtures';

/** A new random TOTP secret, as an authenticator app would receive it (base32). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The 6-digit code an authenticator app shows for `secret` at `at` (epoch ms). */
export function totpCode(secret: string, at: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at });
}

/**
 * A test clock that moves only when told: each TOTP code is accepted once per 30-second step,
 * so a test that needs several codes steps the clock instead of waiting.
 */
export class SteppingClock {
  at = Date.now();
  now = () => this.at;
  /** Moves to the next TOTP step (and returns the new time). */
  nextStep(): number {
    this.at += 30_000;
    return this.at;
  }
}

/** Turns on TOTP for `person` (their client then carries the rotated token). */
export async function enableTotp(person: Person, clock: SteppingClock) {
  const secret = newTotpSecret();
  const result = await person.client.request(routes.mfa.enableTotp, { body: { secret, code: totpCode(secret, clock.now()), password: person.password } });
  person.client.token = result.token;
  clock.nextStep();
  return { secret, backupCodes: result.backup_codes.map((c) => c.code) };
}
