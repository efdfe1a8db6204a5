import type { Member } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { BAN_HISTORY_CHOICES, TIMEOUT_DURATIONS, byName, memberMatches, memberName, timeoutUntil } from './moderation';

const member = (id: string, username: string, global_name: string | null = null, nick: string | null = null) =>
  ({ nick, user: { id, username, global_name } }) as unknown as Pick<Member, 'nick' | 'user'>;

describe('choices', () => {
  it("are Discord's timeout lengths and ban history windows", () => {
    expect(TIMEOUT_DURATIONS.map((d) => d.seconds)).toEqual([60, 300, 600, 3600, 86_400, 604_800]);
    expect(BAN_HISTORY_CHOICES.map((c) => c.seconds)).toEqual([0, 3600, 21_600, 43_200, 86_400, 259_200, 604_800]);
  });
  it('turn a length into the time the timeout ends', () => {
    expect(timeoutUntil(60, Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:01:00.000Z');
  });
});

describe('member names', () => {
  const ada = member('1', 'ada', 'Ada Lovelace', 'Countess');
  const bob = member('2', 'bob', null);
  it('show the nickname, then the display name, then the username', () => {
    expect(memberName(ada)).toBe('Countess');
    expect(memberName(member('3', 'cy', 'Cy'))).toBe('Cy');
    expect(memberName(bob)).toBe('bob');
  });
  it('match a search on any of them, ignoring case', () => {
    expect(memberMatches(ada, 'LOVE')).toBe(true);
    expect(memberMatches(ada, 'count')).toBe(true);
    expect(memberMatches(ada, 'ada')).toBe(true);
    expect(memberMatches(bob, 'ada')).toBe(false);
    expect(memberMatches(bob, '  ')).toBe(true);
  });
  it('sort by shown name', () => {
    expect(byName([ada, bob, member('3', 'aaron')]).map((m) => m.user.id)).toEqual(['3', '2', '1']);
  });
});
