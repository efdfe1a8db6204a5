import type { Channel, Guild, Member, Message, PrivateUser, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { mentionsMe } from './mentions';

const sf = (id: string) => id as Snowflake;
const cache = {
  user: { id: sf('1') } as PrivateUser,
  guilds: new Map([[sf('100'), { id: sf('100') } as Guild]]),
  members: new Map([[sf('100'), new Map([[sf('1'), { roles: [sf('7')] } as unknown as Member]])]]),
  channels: new Map([[sf('20'), { id: sf('20'), guild_id: sf('100') } as Channel]]),
};
const message = (extra: Partial<Message>) => ({ channel_id: sf('20'), mention_everyone: false, mentions: [], mention_roles: [], ...extra }) as Message;

describe('whether a message mentions me', () => {
  it('counts my name, @everyone and a role I hold in the channel’s server, not another role', () => {
    expect(mentionsMe(cache, message({}))).toBe(false);
    expect(mentionsMe(cache, message({ mentions: [{ id: sf('1') } as Message['author']] }))).toBe(true);
    expect(mentionsMe(cache, message({ mention_everyone: true }))).toBe(true);
    expect(mentionsMe(cache, message({ mention_roles: [sf('7')] }))).toBe(true);
    expect(mentionsMe(cache, message({ mention_roles: [sf('8')] }))).toBe(false);
  });
});
