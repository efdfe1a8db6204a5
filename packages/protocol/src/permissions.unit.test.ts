import {
  ALL_PERMISSIONS,
  ChannelType,
  DEFAULT_EVERYONE_PERMISSIONS,
  type OverwriteLike,
  OverwriteType,
  PermissionOverwrite,
  Permissions,
  type Snowflake,
  TIMED_OUT_PERMISSIONS,
  applyImplicitPermissions,
  computeBasePermissions,
  computeOverwrites,
  guildPermissions,
  hasPermission,
  isTimedOut,
  permissionsInChannel,
} from './index';
import { describe, expect, it } from 'vitest';

const owner = '1' as Snowflake;
const member = '2' as Snowflake;
const guild = '9' as Snowflake;
const everyone = { id: guild, permissions: String(DEFAULT_EVERYONE_PERMISSIONS) };
const admin = { id: '10' as Snowflake, permissions: String(Permissions.ADMINISTRATOR) };
const manager = { id: '11' as Snowflake, permissions: String(Permissions.MANAGE_CHANNELS) };

/** The matrix: who, in which kind of channel, may do what. */
describe('permissions', () => {
  const cases: { who: string; roles: { id: Snowflake; permissions: string }[]; userId: Snowflake; privateChannel: boolean; channelMember: boolean; can: bigint[]; cannot: bigint[] }[] = [
    {
      who: 'owner, public channel',
      roles: [everyone],
      userId: owner,
      privateChannel: false,
      channelMember: false,
      can: [Permissions.MANAGE_GUILD, Permissions.VIEW_CHANNEL, Permissions.MANAGE_MESSAGES],
      cannot: [],
    },
    {
      who: 'member, public channel',
      roles: [everyone],
      userId: member,
      privateChannel: false,
      channelMember: false,
      can: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES, Permissions.ADD_REACTIONS, Permissions.CREATE_INSTANT_INVITE],
      cannot: [Permissions.MANAGE_CHANNELS, Permissions.MANAGE_MESSAGES, Permissions.MENTION_EVERYONE, Permissions.MANAGE_GUILD],
    },
    {
      who: 'member of a private channel',
      roles: [everyone],
      userId: member,
      privateChannel: true,
      channelMember: true,
      can: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES],
      cannot: [Permissions.MANAGE_CHANNELS],
    },
    {
      who: 'non-member of a private channel',
      roles: [everyone],
      userId: member,
      privateChannel: true,
      channelMember: false,
      can: [Permissions.CREATE_INSTANT_INVITE],
      cannot: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES, Permissions.READ_MESSAGE_HISTORY, Permissions.ADD_REACTIONS],
    },
    {
      who: 'owner outside a private channel',
      roles: [everyone],
      userId: owner,
      privateChannel: true,
      channelMember: false,
      can: [Permissions.MANAGE_CHANNELS],
      cannot: [Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES],
    },
    { who: 'administrator role', roles: [everyone, admin], userId: member, privateChannel: false, channelMember: false, can: [Permissions.MANAGE_GUILD, Permissions.BAN_MEMBERS], cannot: [] },
    {
      who: 'channel manager outside a private channel',
      roles: [everyone, manager],
      userId: member,
      privateChannel: true,
      channelMember: false,
      can: [Permissions.MANAGE_CHANNELS],
      cannot: [Permissions.VIEW_CHANNEL],
    },
  ];
  for (const c of cases) {
    it(c.who, () => {
      const inChannel = permissionsInChannel({
        guildId: guild,
        ownerId: owner,
        userId: c.userId,
        memberRoleIds: c.roles.map((r) => r.id),
        roles: c.roles,
        overwrites: [],
        private: c.privateChannel,
        isMember: c.channelMember,
        channelType: ChannelType.GUILD_TEXT,
        now: 0,
      });
      for (const p of c.can) expect(hasPermission(inChannel, p), `can ${p}`).toBe(true);
      for (const p of c.cannot) expect(hasPermission(inChannel, p), `cannot ${p}`).toBe(false);
    });
  }

  it('gives the owner and administrators everything guild-wide', () => {
    expect(guildPermissions({ ownerId: owner, userId: owner, roles: [] })).toBe(ALL_PERMISSIONS);
    expect(guildPermissions({ ownerId: owner, userId: member, roles: [admin] })).toBe(ALL_PERMISSIONS);
  });
});

/*
 * Discord's algorithm, step by step (permissions.ts): base, overwrites, implicit permissions,
 * timeout, then Parley's private channels, and permissionsInChannel running them all.
 */
const sf = (id: string) => id as Snowflake;
const guildId = sf('100');
const ownerId = sf('1');
const userId = sf('2');
const otherUserId = sf('3');
const role = (id: string, permissions: bigint) => ({ id: sf(id), permissions: String(permissions) });
const everyoneRole = role('100', DEFAULT_EVERYONE_PERMISSIONS);
const modRole = role('201', Permissions.MANAGE_MESSAGES | Permissions.KICK_MEMBERS);
const mutedRole = role('202', 0n);
const helperRole = role('203', Permissions.MENTION_EVERYONE);
const adminRole = role('204', Permissions.ADMINISTRATOR);
const bannerRole = role('205', Permissions.BAN_MEMBERS);
/** Every role of the guild: computeBasePermissions picks @everyone and the member's. */
const allRoles = [everyoneRole, modRole, mutedRole, helperRole, adminRole, bannerRole];
const P = Permissions;

const overwrite = (type: number, id: string, allow: bigint, deny: bigint): OverwriteLike => ({ id, type, allow: String(allow), deny: String(deny) });
const forEveryone = (allow: bigint, deny: bigint) => overwrite(OverwriteType.ROLE, guildId, allow, deny);
const forRole = (r: { id: string }, allow: bigint, deny: bigint) => overwrite(OverwriteType.ROLE, r.id, allow, deny);
const forMember = (id: string, allow: bigint, deny: bigint) => overwrite(OverwriteType.MEMBER, id, allow, deny);

describe('computeBasePermissions (Discord step 1)', () => {
  const cases: { name: string; userId: Snowflake; memberRoleIds: string[]; roles?: { id: Snowflake; permissions: string }[]; expected: bigint }[] = [
    { name: 'the owner holds everything, even with no roles at all', userId: ownerId, memberRoleIds: [], roles: [], expected: ALL_PERMISSIONS },
    { name: 'a member with no roles holds @everyone’s permissions', userId, memberRoleIds: [], expected: DEFAULT_EVERYONE_PERMISSIONS },
    {
      name: 'each of the member’s roles is ORed in',
      userId,
      memberRoleIds: [modRole.id, helperRole.id],
      expected: DEFAULT_EVERYONE_PERMISSIONS | P.MANAGE_MESSAGES | P.KICK_MEMBERS | P.MENTION_EVERYONE,
    },
    { name: 'roles the member does not hold count for nothing', userId, memberRoleIds: [mutedRole.id], expected: DEFAULT_EVERYONE_PERMISSIONS },
    { name: 'an ADMINISTRATOR role gives everything', userId, memberRoleIds: [adminRole.id], expected: ALL_PERMISSIONS },
    { name: 'ADMINISTRATOR on @everyone gives everyone everything', userId, memberRoleIds: [], roles: [role('100', P.ADMINISTRATOR)], expected: ALL_PERMISSIONS },
    { name: 'a role id that no longer exists counts for nothing', userId, memberRoleIds: ['999'], expected: DEFAULT_EVERYONE_PERMISSIONS },
    { name: 'without an @everyone role only the member’s roles count', userId, memberRoleIds: [modRole.id], roles: [modRole], expected: P.MANAGE_MESSAGES | P.KICK_MEMBERS },
  ];
  it.each(cases)('$name', (c) => {
    expect(computeBasePermissions({ guildId, ownerId, userId: c.userId, roles: c.roles ?? allRoles, memberRoleIds: c.memberRoleIds.map(sf) })).toBe(c.expected);
  });

  it('agrees with guildPermissions given @everyone and the member’s roles', () => {
    for (const held of [[], [modRole], [modRole, helperRole], [adminRole]]) {
      const base = computeBasePermissions({ guildId, ownerId, userId, roles: allRoles, memberRoleIds: held.map((r) => r.id) });
      expect(base).toBe(guildPermissions({ ownerId, userId, roles: [everyoneRole, ...held] }));
    }
  });
});

describe('computeOverwrites (Discord step 2)', () => {
  const base = DEFAULT_EVERYONE_PERMISSIONS;
  const cases: { name: string; base?: bigint; roles?: { id: string }[]; overwrites: OverwriteLike[]; has: bigint[]; lacks: bigint[] }[] = [
    { name: 'no overwrites: the base', overwrites: [], has: [P.VIEW_CHANNEL, P.SEND_MESSAGES], lacks: [P.MANAGE_MESSAGES] },
    { name: '@everyone overwrite denies', overwrites: [forEveryone(0n, P.SEND_MESSAGES)], has: [P.VIEW_CHANNEL], lacks: [P.SEND_MESSAGES] },
    { name: '@everyone overwrite allows', overwrites: [forEveryone(P.MENTION_EVERYONE, 0n)], has: [P.MENTION_EVERYONE, P.SEND_MESSAGES], lacks: [] },
    { name: 'within one overwrite, allow is applied after deny', overwrites: [forEveryone(P.SEND_MESSAGES, P.SEND_MESSAGES)], has: [P.SEND_MESSAGES], lacks: [] },
    {
      name: 'one role’s deny and another role’s allow: allowed (all denies, then all allows)',
      roles: [mutedRole, helperRole],
      // The allowing role first: applying each role's overwrite in turn would let the deny win.
      overwrites: [forRole(helperRole, P.SEND_MESSAGES, 0n), forRole(mutedRole, 0n, P.SEND_MESSAGES | P.ADD_REACTIONS)],
      has: [P.SEND_MESSAGES],
      lacks: [P.ADD_REACTIONS],
    },
    {
      name: 'a role overwrite’s allow beats the @everyone overwrite’s deny',
      roles: [modRole],
      overwrites: [forEveryone(0n, P.VIEW_CHANNEL), forRole(modRole, P.VIEW_CHANNEL, 0n)],
      has: [P.VIEW_CHANNEL],
      lacks: [],
    },
    {
      name: 'a role overwrite’s deny beats the @everyone overwrite’s allow',
      roles: [mutedRole],
      overwrites: [forEveryone(P.PIN_MESSAGES, 0n), forRole(mutedRole, 0n, P.PIN_MESSAGES)],
      has: [],
      lacks: [P.PIN_MESSAGES],
    },
    {
      name: 'the member’s overwrite denies what a role overwrite allows',
      roles: [helperRole],
      overwrites: [forRole(helperRole, P.ATTACH_FILES, 0n), forMember(userId, 0n, P.ATTACH_FILES)],
      has: [],
      lacks: [P.ATTACH_FILES],
    },
    {
      name: 'the member’s overwrite allows what role overwrites deny',
      roles: [mutedRole],
      overwrites: [forEveryone(0n, P.VIEW_CHANNEL), forRole(mutedRole, 0n, P.VIEW_CHANNEL), forMember(userId, P.VIEW_CHANNEL, 0n)],
      has: [P.VIEW_CHANNEL],
      lacks: [],
    },
    {
      name: 'overwrites for roles the member lacks, or other members, change nothing',
      roles: [],
      overwrites: [forRole(mutedRole, 0n, P.SEND_MESSAGES), forMember(otherUserId, 0n, P.VIEW_CHANNEL)],
      has: [P.SEND_MESSAGES, P.VIEW_CHANNEL],
      lacks: [],
    },
    {
      name: 'a member overwrite is not read as a role’s, nor a role’s as a member’s',
      roles: [mutedRole],
      overwrites: [forMember(mutedRole.id, 0n, P.SEND_MESSAGES), forRole({ id: userId }, 0n, P.VIEW_CHANNEL)],
      has: [P.SEND_MESSAGES, P.VIEW_CHANNEL],
      lacks: [],
    },
    {
      name: '@everyone among the member’s roles is applied once, as @everyone',
      roles: [{ id: guildId }, mutedRole],
      overwrites: [forEveryone(P.PIN_MESSAGES, 0n), forRole(mutedRole, 0n, P.PIN_MESSAGES)],
      has: [],
      lacks: [P.PIN_MESSAGES],
    },
    { name: 'an overwrite cannot grant ADMINISTRATOR', overwrites: [forMember(userId, P.ADMINISTRATOR, 0n)], has: [], lacks: [P.ADMINISTRATOR, P.MANAGE_GUILD] },
    {
      name: 'ADMINISTRATOR in the base ignores every overwrite',
      base: ALL_PERMISSIONS,
      overwrites: [forEveryone(0n, ALL_PERMISSIONS), forMember(userId, 0n, ALL_PERMISSIONS)],
      has: [P.VIEW_CHANNEL, P.SEND_MESSAGES, P.MANAGE_GUILD],
      lacks: [],
    },
    { name: 'ADMINISTRATOR alone in the base stands for everything', base: P.ADMINISTRATOR, overwrites: [forEveryone(0n, P.VIEW_CHANNEL)], has: [P.VIEW_CHANNEL, P.BAN_MEMBERS], lacks: [] },
  ];
  it.each(cases)('$name', (c) => {
    const result = computeOverwrites(c.base ?? base, { guildId, userId, memberRoleIds: (c.roles ?? []).map((r) => sf(r.id)) }, c.overwrites);
    for (const p of c.has) expect(result & p, `has ${p}`).toBe(p);
    for (const p of c.lacks) expect(result & p, `lacks ${p}`).toBe(0n);
  });

  it('returns exactly ALL for an administrator', () => {
    expect(computeOverwrites(P.ADMINISTRATOR, { guildId, userId, memberRoleIds: [] }, [forEveryone(0n, P.VIEW_CHANNEL)])).toBe(ALL_PERMISSIONS);
  });
});

describe('applyImplicitPermissions (Discord step 3)', () => {
  it('leaves nothing without VIEW_CHANNEL, Manage Channels included', () => {
    expect(applyImplicitPermissions((DEFAULT_EVERYONE_PERMISSIONS | P.MANAGE_CHANNELS) & ~P.VIEW_CHANNEL, ChannelType.GUILD_TEXT)).toBe(0n);
    expect(applyImplicitPermissions(P.MANAGE_CHANNELS | P.CONNECT, ChannelType.GUILD_VOICE)).toBe(0n);
  });

  const sending = [P.MENTION_EVERYONE, P.ATTACH_FILES, P.EMBED_LINKS];
  const full = DEFAULT_EVERYONE_PERMISSIONS | P.MENTION_EVERYONE;
  const cases = [
    { name: 'text channel without SEND_MESSAGES loses mentions, files, embeds', type: ChannelType.GUILD_TEXT, remove: P.SEND_MESSAGES, stripped: true },
    { name: 'text channel with SEND_MESSAGES keeps them', type: ChannelType.GUILD_TEXT, remove: 0n, stripped: false },
    { name: 'voice channel without SEND_MESSAGES keeps them (a text-channel rule)', type: ChannelType.GUILD_VOICE, remove: P.SEND_MESSAGES, stripped: false },
    { name: 'thread: SEND_MESSAGES does not matter…', type: ChannelType.PUBLIC_THREAD, remove: P.SEND_MESSAGES, stripped: false },
    { name: '…SEND_MESSAGES_IN_THREADS does', type: ChannelType.PUBLIC_THREAD, remove: P.SEND_MESSAGES_IN_THREADS, stripped: true },
  ];
  it.each(cases)('$name', (c) => {
    const result = applyImplicitPermissions(full & ~c.remove, c.type);
    for (const p of sending) expect(result & p).toBe(c.stripped ? 0n : p);
    // What is not about sending stays either way.
    expect(result & (P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS)).toBe(P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS);
  });
});

/** permissionsInChannel's inputs for a plain public text channel; each test changes what it is about. */
const now = Date.parse('2025-06-01T12:00:00.000Z');
const inPublicText = {
  guildId,
  ownerId,
  userId,
  roles: allRoles,
  memberRoleIds: [] as Snowflake[],
  channelType: ChannelType.GUILD_TEXT,
  overwrites: [] as OverwriteLike[],
  private: false,
  isMember: false,
  now,
};

describe('timeouts (Discord step 4)', () => {
  const future = '2025-06-01T12:05:00.000Z';
  const past = '2025-06-01T11:55:00.000Z';
  it('a timeout in the future leaves VIEW_CHANNEL and READ_MESSAGE_HISTORY only', () => {
    expect(permissionsInChannel({ ...inPublicText, memberRoleIds: [modRole.id], communicationDisabledUntil: future })).toBe(TIMED_OUT_PERMISSIONS);
  });
  it('a timeout in the past, or none, changes nothing', () => {
    const untimed = permissionsInChannel(inPublicText);
    expect(untimed).toBe(DEFAULT_EVERYONE_PERMISSIONS);
    expect(permissionsInChannel({ ...inPublicText, communicationDisabledUntil: past })).toBe(untimed);
    expect(permissionsInChannel({ ...inPublicText, communicationDisabledUntil: null })).toBe(untimed);
  });
  it('ends at its instant, whatever form the times come in', () => {
    expect(isTimedOut(now, now)).toBe(false);
    expect(isTimedOut(now + 1, now)).toBe(true);
    expect(isTimedOut(new Date(now + 1), new Date(now))).toBe(true);
    expect(isTimedOut(future, now)).toBe(true);
    expect(isTimedOut('not a time', now)).toBe(false);
  });
  it('does not touch the owner or an administrator', () => {
    expect(permissionsInChannel({ ...inPublicText, userId: ownerId, communicationDisabledUntil: future })).toBe(ALL_PERMISSIONS);
    expect(permissionsInChannel({ ...inPublicText, memberRoleIds: [adminRole.id], communicationDisabledUntil: future })).toBe(ALL_PERMISSIONS);
  });
  it('does not give back a channel the member cannot see', () => {
    expect(permissionsInChannel({ ...inPublicText, overwrites: [forEveryone(0n, P.VIEW_CHANNEL)], communicationDisabledUntil: future })).toBe(0n);
  });
});

describe('permissionsInChannel: private channels (Parley step 5) and threads', () => {
  const privateChannel = { ...inPublicText, private: true };
  const cases: { name: string; input: Parameters<typeof permissionsInChannel>[0]; has: bigint[]; lacks: bigint[] }[] = [
    {
      name: 'a non-member reads nothing but keeps guild-level rights',
      input: privateChannel,
      has: [P.CREATE_INSTANT_INVITE],
      lacks: [P.VIEW_CHANNEL, P.SEND_MESSAGES, P.READ_MESSAGE_HISTORY, P.ADD_REACTIONS],
    },
    {
      name: 'the owner, not a member, reads nothing but may manage it',
      input: { ...privateChannel, userId: ownerId },
      has: [P.MANAGE_CHANNELS, P.MANAGE_GUILD],
      lacks: [P.VIEW_CHANNEL, P.SEND_MESSAGES, P.ADMINISTRATOR],
    },
    {
      name: 'an administrator, not a member, reads nothing',
      input: { ...privateChannel, memberRoleIds: [adminRole.id] },
      has: [P.MANAGE_CHANNELS, P.BAN_MEMBERS],
      lacks: [P.VIEW_CHANNEL, P.READ_MESSAGE_HISTORY, P.ADMINISTRATOR],
    },
    {
      name: 'an overwrite allowing VIEW_CHANNEL does not let a non-member read',
      input: { ...privateChannel, overwrites: [forMember(userId, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY, 0n)] },
      has: [],
      lacks: [P.VIEW_CHANNEL, P.READ_MESSAGE_HISTORY],
    },
    { name: 'a member talks as in a public channel', input: { ...privateChannel, isMember: true }, has: [P.VIEW_CHANNEL, P.SEND_MESSAGES, P.ATTACH_FILES], lacks: [P.MANAGE_CHANNELS] },
    {
      name: 'a member denied SEND_MESSAGES by an overwrite reads but cannot send (or attach)',
      input: { ...privateChannel, isMember: true, overwrites: [forMember(userId, 0n, P.SEND_MESSAGES)] },
      has: [P.VIEW_CHANNEL, P.READ_MESSAGE_HISTORY, P.ADD_REACTIONS],
      lacks: [P.SEND_MESSAGES, P.ATTACH_FILES, P.EMBED_LINKS],
    },
    {
      name: 'the owner as a member holds everything',
      input: { ...privateChannel, userId: ownerId, isMember: true, overwrites: [forEveryone(0n, ALL_PERMISSIONS)] },
      has: [P.ADMINISTRATOR, P.VIEW_CHANNEL, P.MANAGE_MESSAGES],
      lacks: [],
    },
    {
      name: 'public channel: a role overwrite grants Manage Messages here only',
      input: { ...inPublicText, memberRoleIds: [helperRole.id], overwrites: [forRole(helperRole, P.MANAGE_MESSAGES, 0n)] },
      has: [P.MANAGE_MESSAGES, P.MENTION_EVERYONE],
      lacks: [P.MANAGE_CHANNELS],
    },
    {
      name: 'public channel hidden from @everyone: nothing, not even Kick Members',
      input: { ...inPublicText, memberRoleIds: [modRole.id], overwrites: [forEveryone(0n, P.VIEW_CHANNEL)] },
      has: [],
      lacks: [P.VIEW_CHANNEL, P.KICK_MEMBERS, P.CREATE_INSTANT_INVITE],
    },
    {
      name: 'thread of a private channel: its non-members read nothing',
      input: {
        ...inPublicText,
        channelType: ChannelType.PUBLIC_THREAD,
        overwrites: undefined,
        private: undefined,
        isMember: undefined,
        threadParent: { overwrites: [], private: true, isMember: false },
      },
      has: [],
      lacks: [P.VIEW_CHANNEL, P.SEND_MESSAGES_IN_THREADS],
    },
    {
      name: 'thread of a private channel: its members talk',
      input: {
        ...inPublicText,
        channelType: ChannelType.PUBLIC_THREAD,
        overwrites: undefined,
        private: undefined,
        isMember: undefined,
        threadParent: { overwrites: [], private: true, isMember: true },
      },
      has: [P.VIEW_CHANNEL, P.SEND_MESSAGES_IN_THREADS, P.ATTACH_FILES],
      lacks: [],
    },
    {
      name: 'thread: the parent’s overwrites apply (no sending in threads, so no files there)',
      input: {
        ...inPublicText,
        channelType: ChannelType.PUBLIC_THREAD,
        overwrites: undefined,
        private: undefined,
        isMember: undefined,
        threadParent: { overwrites: [forEveryone(0n, P.SEND_MESSAGES_IN_THREADS)], private: false, isMember: false },
      },
      has: [P.VIEW_CHANNEL, P.READ_MESSAGE_HISTORY],
      lacks: [P.SEND_MESSAGES_IN_THREADS, P.ATTACH_FILES],
    },
    {
      name: 'thread: a parent hidden from the member hides the thread',
      input: {
        ...inPublicText,
        channelType: ChannelType.PUBLIC_THREAD,
        overwrites: undefined,
        private: undefined,
        isMember: undefined,
        threadParent: { overwrites: [forMember(userId, 0n, P.VIEW_CHANNEL)], private: false, isMember: false },
      },
      has: [],
      lacks: [P.VIEW_CHANNEL],
    },
  ];
  it.each(cases)('$name', (c) => {
    const result = permissionsInChannel(c.input);
    for (const p of c.has) expect(result & p, `has ${p}`).toBe(p);
    for (const p of c.lacks) expect(result & p, `lacks ${p}`).toBe(0n);
  });

  it('a thread gets its parent’s permissions (bar the thread-send rule)', () => {
    const parent = { overwrites: [forRole(modRole, P.PIN_MESSAGES, P.ADD_REACTIONS)], private: false, isMember: false };
    const inputs = { ...inPublicText, memberRoleIds: [modRole.id] };
    const inParent = permissionsInChannel({ ...inputs, ...parent });
    const inThread = permissionsInChannel({ ...inputs, channelType: ChannelType.PUBLIC_THREAD, overwrites: undefined, private: undefined, isMember: undefined, threadParent: parent });
    expect(inThread).toBe(inParent);
    expect(inThread & P.ADD_REACTIONS).toBe(0n);
  });
});

describe('PermissionOverwrite', () => {
  it('accepts Discord’s v10 shape', () => {
    const ok = { id: '100', type: OverwriteType.ROLE, allow: String(P.PIN_MESSAGES), deny: '0' };
    expect(PermissionOverwrite.parse(ok)).toEqual(ok);
    expect(PermissionOverwrite.safeParse({ ...ok, type: OverwriteType.MEMBER, allow: String(2n ** 64n - 1n) }).success).toBe(true);
  });
  it.each([
    ['an unknown type', { type: 2 }],
    ['a number for bits', { allow: 1024 }],
    ['negative bits', { deny: '-1' }],
    ['bits beyond 64', { allow: String(2n ** 64n) }],
    ['more than 20 digits', { allow: '0'.repeat(21) }],
    ['not a snowflake', { id: 'everyone' }],
  ])('rejects %s', (_, change) => {
    const result = PermissionOverwrite.safeParse({ id: '100', type: 0, allow: '0', deny: '0', ...change });
    expect(result.success).toBe(false);
  });
  it('words its problem for a person', () => {
    const result = PermissionOverwrite.safeParse({ id: '100', type: 0, allow: 'all', deny: '0' });
    expect(result.error?.issues[0]?.message).toBe('Must be a permission bit set: a string of up to 20 digits');
  });
});
