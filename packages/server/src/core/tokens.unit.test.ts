import { describe, expect, it } from 'vitest';
import { hashToken, newToken } from './tokens';

describe('newToken', () => {
  it('draws again when the random bytes would spell "bot" or "bearer"', () => {
    const unlucky = [Buffer.from(`bot${'A'.repeat(40)}`, 'base64url'), Buffer.from(`BeArEr${'B'.repeat(37)}`, 'base64url'), Buffer.alloc(32, 7)];
    expect(unlucky[0]!.toString('base64url')).toMatch(/^bot/);
    expect(unlucky[1]!.toString('base64url')).toMatch(/^BeArEr/);
    let draws = 0;
    const token = newToken(() => unlucky[draws++]!);
    expect(draws).toBe(3);
    expect(token).toBe(Buffer.alloc(32, 7).toString('base64url'));
  });

  it('gives 43-character URL-safe tokens, stored only as a hash', () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token);
  });
});
