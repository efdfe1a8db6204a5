import { ALL_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, Permissions, type Snowflake, channelPermissions, guildPermissions, hasPermission } from './index';
import { describe, expect, it } from 'vitest';

const owner = '1' as Snowflake;
const member = '2' as Snowflake;
const everyone = { permissions: String(DEFAULT_EVERYONE_PERMISSIONS) };
const admin = { permissions: String(Permissions.ADMINISTRATOR) };
const manager = { permissions: String(Permissions.MANAGE_CHANNELS) };

/** The matrix: who, in which kind of channel, may do what. */
describe('permissions', () => {
  const cases: { who: string; roles: { permissions: string }[]; userId: Snowflake; privateChannel: boolean; channelMember: boolean; can: bigint[]; cannot: bigint[] }[] = [
    { who: 'owner, public channel', roles: [everyone], userId: owner, privateChannel: false, channelMember: false, can: [Permissions.MANAGE_GUILD, Permissions.VIEW_CHANNEL, Permissions.MANAGE_MESSAGES], cannot: [] },
    { who: 'member, public channel', roles: [everyone], userId: member, privateChannel: false, channelMember: false, can: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES, Permissions.ADD_REACTIONS, Permissions.CREATE_INSTANT_INVITE], cannot: [Permissions.MANAGE_CHANNELS, Permissions.MANAGE_MESSAGES, Permissions.MENTION_EVERYONE, Permissions.MANAGE_GUILD] },
    { who: 'member of a private channel', roles: [everyone], userId: member, privateChannel: true, channelMember: true, can: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES], cannot: [Permissions.MANAGE_CHANNELS] },
    { who: 'non-member of a private channel', roles: [everyone], userId: member, privateChannel: true, channelMember: false, can: [Permissions.CREATE_INSTANT_INVITE], cannot: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES, Permissions.READ_MESSAGE_HISTORY, Permissions.ADD_REACTIONS] },
    { who: 'owner outside a private channel', roles: [everyone], userId: owner, privateChannel: true, channelMember: false, can: [Permissions.MANAGE_CHANNELS], cannot: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES] },
    { who: 'administrator role', roles: [everyone, admin], userId: member, privateChannel: false, channelMember: false, can: [Permissions.MANAGE_GUILD, Permissions.BAN_MEMBERS], cannot: [] },
    { who: 'channel manager outside a private channel', roles: [everyone, manager], userId: member, privateChannel: true, channelMember: false, can: [Permissions.MANAGE_CHANNELS], cannot: [Permissions.VIEW_CHANNEL] },
  ];
  for (const c of cases) {
    it(c.who, () => {
      const guildWide = guildPermissions({ ownerId: owner, userId: c.userId, roles: c.roles });
      const inChannel = channelPermissions(guildWide, { private: c.privateChannel }, c.channelMember);
      for (const p of c.can) expect(hasPermission(inChannel, p), `can ${p}`).toBe(true);
      for (const p of c.cannot) expect(hasPermission(inChannel, p), `cannot ${p}`).toBe(false);
    });
  }

  it('gives the owner and administrators everything guild-wide', () => {
    expect(guildPermissions({ ownerId: owner, userId: owner, roles: [] })).toBe(ALL_PERMISSIONS);
    expect(guildPermissions({ ownerId: owner, userId: member, roles: [admin] })).toBe(ALL_PERMISSIONS);
  });
});
