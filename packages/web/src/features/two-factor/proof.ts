import type { Reauthentication } from '@parley/protocol';

/** The body fields of a password-or-code proof: only what was typed. */
export function proofBody(password: string, code: string): Reauthentication {
  return { ...(password && { password }), ...(code.trim() && { code: code.trim() }) };
}
