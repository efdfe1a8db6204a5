import { expect, it } from 'vitest';
import { inviteCode } from './commands';

it('takes the code from a code or a link', () => {
  expect(inviteCode('abc123')).toBe('abc123');
  expect(inviteCode('https://chat.example.org/invite/abc123/')).toBe('abc123');
});
