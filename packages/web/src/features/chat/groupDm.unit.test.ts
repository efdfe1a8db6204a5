import type { Channel, Member, Snowflake, User } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { knownPeople, matchesQuery } from './groupDm';

const person = (id: string, username: string, extra: Partial<User> = {}) => ({ id: id as Snowflake, username, global_name: null, bot: false, ...extra }) as User;
const me = person('1', 'ada');
const bob = person('2', 'bob', { global_name: 'Bob Builder' });
const cleo = person('3', 'cleo', { global_name: 'Cléo' });
const robot = person('4', 'robot', { bot: true });

describe('the people offered for a group DM', () => {
  it('are those you share a DM or a server with, once each, by name, without you or bots', () => {
    const channels = new Map([['10' as Snowflake, { id: '10', type: 1, name: null, recipients: [bob] } as Channel]]);
    const members = new Map([['20' as Snowflake, new Map([me, cleo, bob, robot].map((user) => [user.id, { user } as Member]))]]);
    expect(knownPeople({ user: me, channels, members }).map((c) => c.name)).toEqual(['Bob Builder', 'Cléo']);
  });

  it('match what was typed in their display name or username, accents and case aside', () => {
    const [builder, cleoCandidate] = knownPeople({ user: me, channels: new Map(), members: new Map([['20' as Snowflake, new Map([bob, cleo].map((user) => [user.id, { user } as Member]))]]) });
    expect(matchesQuery(builder!, 'build')).toBe(true);
    expect(matchesQuery(builder!, 'BOB')).toBe(true);
    expect(matchesQuery(cleoCandidate!, 'cleo')).toBe(true);
    expect(matchesQuery(cleoCandidate!, 'bob')).toBe(false);
    expect(matchesQuery(cleoCandidate!, '  ')).toBe(true);
  });
});
