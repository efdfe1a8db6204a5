import { type Channel, ChannelType, DEFAULT_EVERYONE_PERMISSIONS, type Guild, Permissions, type PrivateUser, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { permissionsInChannel, permissionsInGuild } from './permissions';

const sf = (id: string) => id as Snowflake;
const guild = { id: sf('10'), owner_id: sf('2'), roles: [{ id: sf('10'), permissions: String(DEFAULT_EVERYONE_PERMISSIONS) }] } as unknown as Guild;
const channel = (extra: Partial<Channel>): Channel => ({ id: sf('20'), type: ChannelType.GUILD_TEXT, guild_id: guild.id, ...extra }) as Channel;
const cacheFor = (userId: string, channels: Channel[] = []) => ({
  user: { id: sf(userId) } as PrivateUser,
  guilds: new Map([[guild.id, guild]]),
  members: new Map(),
  channels: new Map(channels.map((c) => [c.id, c])),
});

describe('permissions from the cache', () => {
  it('gives the owner everything and a member @everyone’s permissions', () => {
    expect(permissionsInGuild(cacheFor('2'), guild.id) & Permissions.MANAGE_CHANNELS).toBe(Permissions.MANAGE_CHANNELS);
    expect(permissionsInGuild(cacheFor('3'), guild.id)).toBe(DEFAULT_EVERYONE_PERMISSIONS);
    expect(permissionsInGuild(cacheFor('3'), sf('99'))).toBe(0n);
  });

  it('keeps a private channel’s contents, and its threads, to its members', () => {
    const closed = channel({ id: sf('30'), private: true, joined: false });
    const thread = channel({ id: sf('31'), type: ChannelType.PUBLIC_THREAD, parent_id: closed.id });
    const outsider = cacheFor('3', [closed, thread]);
    expect(permissionsInChannel(outsider, closed) & Permissions.VIEW_CHANNEL).toBe(0n);
    expect(permissionsInChannel(outsider, thread) & Permissions.VIEW_CHANNEL).toBe(0n);
    const insider = cacheFor('3', [{ ...closed, joined: true }, thread]);
    expect(permissionsInChannel(insider, thread) & Permissions.SEND_MESSAGES).toBe(Permissions.SEND_MESSAGES);
  });

  it('withholds moderation from a user without 2FA where the server requires it, as the server does', () => {
    const strict = { ...guild, mfa_level: 1 } as Guild;
    const ownerCache = (mfa_enabled: boolean) => ({ ...cacheFor('2', [channel({})]), user: { id: sf('2'), mfa_enabled } as PrivateUser, guilds: new Map([[guild.id, strict]]) });
    expect(permissionsInGuild(ownerCache(false), guild.id) & Permissions.KICK_MEMBERS).toBe(0n);
    expect(permissionsInChannel(ownerCache(false), channel({})) & Permissions.MANAGE_MESSAGES).toBe(0n);
    expect(permissionsInChannel(ownerCache(false), channel({})) & Permissions.SEND_MESSAGES).toBe(Permissions.SEND_MESSAGES);
    expect(permissionsInGuild(ownerCache(true), guild.id) & Permissions.KICK_MEMBERS).toBe(Permissions.KICK_MEMBERS);
  });

  it('lets DM recipients talk but not moderate', () => {
    const dm = { id: sf('40'), type: ChannelType.DM } as Channel;
    const inDm = permissionsInChannel(cacheFor('3'), dm);
    expect(inDm & Permissions.SEND_MESSAGES).toBe(Permissions.SEND_MESSAGES);
    expect(inDm & Permissions.MANAGE_MESSAGES).toBe(0n);
  });
});
