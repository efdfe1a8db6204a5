import { describe, expect, it } from 'vitest';
import { proposeUsername, toUsername, usernameCandidates } from './username';

describe('usernames proposed from a provider’s claims', () => {
  it('turns free text into a valid username', () => {
    expect(toUsername('Ada Lovelace')).toBe('ada_lovelace');
    expect(toUsername('José-María')).toBe('jose_maria');
    expect(toUsername('..grace..hopper..')).toBe('grace.hopper');
    expect(toUsername('x')).toBeNull();
    expect(toUsername('★☆')).toBeNull();
    expect(toUsername('admin')).toBeNull();
    expect(toUsername('a'.repeat(40))).toHaveLength(32);
  });

  it('prefers preferred_username, then the e-mail’s local part, then the name', () => {
    expect(usernameCandidates({ preferredUsername: 'ada', email: 'countess@example.org', name: 'Ada Lovelace' })).toEqual(['ada', 'countess', 'ada_lovelace']);
    expect(usernameCandidates({ preferredUsername: null, email: null, name: null })).toEqual([]);
  });

  it('numbers the best candidate when every one is taken', async () => {
    const taken = new Set(['ada', 'ada_lovelace', 'ada2']);
    const free = async (name: string) => !taken.has(name);
    expect(await proposeUsername({ preferredUsername: 'ada', email: null, name: 'Ada Lovelace' }, free)).toBe('ada3');
    expect(await proposeUsername({ preferredUsername: null, email: null, name: null }, free)).toBe('user');
  });
});
