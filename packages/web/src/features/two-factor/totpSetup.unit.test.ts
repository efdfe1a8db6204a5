import { describe, expect, it } from 'vitest';
import { groupSecret, newTotpSecret, totpUri } from './totpSetup';

describe('authenticator app setup', () => {
  it('makes distinct 32-character base32 secrets', () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(a);
  });

  it('writes the otpauth URI apps read, and groups the secret for typing', () => {
    expect(totpUri('alice.b', 'JBSWY3DPEHPK3PXP')).toBe('otpauth://totp/Parley:alice.b?secret=JBSWY3DPEHPK3PXP&issuer=Parley&algorithm=SHA1&digits=6&period=30');
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
  });
});
