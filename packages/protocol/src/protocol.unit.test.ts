import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiErrors, FieldErrorCodes, Username, fromFormErrors, isSealedFileSize, issuesToProblems, paddedSize, sealedFileSize, toFormErrors } from './index';

describe('usernames', () => {
  it('are trimmed and lowercased', () => {
    expect(Username.parse('  Alice.B_2 ')).toBe('alice.b_2');
  });

  it.each([
    ['a', 'Must be at least 2 characters long'],
    ['x'.repeat(33), 'Must be at most 32 characters long'],
    ['al ice', 'Use only letters, digits, underscore (_) and period (.)'],
    ['émile', 'Use only letters, digits, underscore (_) and period (.)'],
    ['a..b', 'Two periods in a row are not allowed'],
    ['Everyone', 'This username is reserved'],
  ])('refuses %j: %s', (name, message) => {
    const result = Username.safeParse(name);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });
});

describe('form errors', () => {
  it("fold into Discord's nested shape and back", () => {
    const problems = [
      { path: ['username'], code: 'BASE_TYPE_REQUIRED', message: 'This field is required' },
      { path: ['items', 0, 'name'], code: 'BASE_TYPE_MAX_LENGTH', message: 'Too long' },
    ];
    const nested = toFormErrors(problems);
    expect(nested).toEqual({
      username: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] },
      items: { '0': { name: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Too long' }] } } },
    });
    expect(fromFormErrors(nested)).toEqual(problems.map((p) => ({ ...p, path: p.path.map(String) })));
  });

  it('tell a missing field from a wrong one', () => {
    const result = Username.safeParse(undefined, { reportInput: true });
    expect(issuesToProblems(result.error!.issues)[0]).toMatchObject({ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
    const wrong = Username.safeParse(42, { reportInput: true });
    expect(issuesToProblems(wrong.error!.issues)[0]).toMatchObject({ code: 'BASE_TYPE_INVALID', message: 'Must be a string' });
  });
});

describe('docs/errors.md', () => {
  const doc = fs.readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  it('documents every error code with its status', () => {
    for (const [name, { code, status }] of Object.entries(ApiErrors)) {
      expect(doc).toContain(`| ${code} | ${status} | ${name} |`);
    }
  });
  it('documents every field code', () => {
    for (const code of FieldErrorCodes) expect(doc).toContain(code);
  });
});

describe('sealed file sizes (encrypted conversations)', () => {
  it('pads by at most 12%, never below the size', () => {
    for (const size of [0, 1, 2, 100, 1000, 65_535, 65_536, 200_000, 25 * 1024 * 1024]) {
      expect(paddedSize(size)).toBeGreaterThanOrEqual(size);
      expect(paddedSize(size)).toBeLessThanOrEqual(Math.max(size * 1.12, size + 1));
    }
  });

  it('tells the size of a sealed file from other sizes', () => {
    for (let size = 0; size < 300_000; size += 997) {
      expect(isSealedFileSize(sealedFileSize(size)), `sealed ${size}`).toBe(true);
    }
    expect([0, 10, 24, 40, 1000, 100_000].filter(isSealedFileSize)).toEqual([]);
  });
});
