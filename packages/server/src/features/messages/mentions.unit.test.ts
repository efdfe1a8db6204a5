import type { Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { parseMentions, resolveMentions } from './mentions';

const id = (n: string) => n as Snowflake;

describe('mentions', () => {
  it('finds users, roles, @everyone and @here, but not inside code', () => {
    expect(parseMentions('hi <@1> and <@!2>, <@&3>! @here')).toEqual({ users: ['1', '2'], roles: ['3'], everyone: true });
    expect(parseMentions('`<@1>` and ```\n@everyone <@2>\n``` and <@1>')).toEqual({ users: ['1'], roles: [], everyone: false });
    expect(parseMentions('email@everyone.org is not a mention? @everyone')).toMatchObject({ everyone: true });
    // Past a signed 64-bit integer: no row's ID.
    expect(parseMentions('<@9223372036854775807> <@9223372036854775808> <@&99999999999999999999>')).toEqual({ users: ['9223372036854775807'], roles: [], everyone: false });
  });

  it('applies allowed_mentions and the Mention Everyone permission', () => {
    const written = { users: [id('1'), id('2')], roles: [id('3')], everyone: true };
    expect(resolveMentions(written, undefined, { canMentionEveryone: false, repliedUserId: null })).toEqual({ users: ['1', '2'], roles: ['3'], everyone: false });
    expect(resolveMentions(written, { parse: [] }, { canMentionEveryone: true, repliedUserId: null })).toEqual({ users: [], roles: [], everyone: false });
    expect(resolveMentions(written, { users: [id('2')] }, { canMentionEveryone: true, repliedUserId: null })).toEqual({ users: ['2'], roles: [], everyone: false });
    expect(resolveMentions(written, { parse: ['everyone', 'users'] }, { canMentionEveryone: true, repliedUserId: null }).everyone).toBe(true);
  });

  it('pings the replied-to author unless told not to', () => {
    const none = { users: [], roles: [], everyone: false };
    expect(resolveMentions(none, undefined, { canMentionEveryone: false, repliedUserId: id('9') }).users).toEqual(['9']);
    expect(resolveMentions(none, { replied_user: false }, { canMentionEveryone: false, repliedUserId: id('9') }).users).toEqual([]);
    expect(resolveMentions(none, { parse: [], replied_user: true }, { canMentionEveryone: false, repliedUserId: id('9') }).users).toEqual(['9']);
  });
});
