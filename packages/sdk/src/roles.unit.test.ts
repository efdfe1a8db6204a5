import { type Channel, ChannelType, DEFAULT_EVERYONE_PERMISSIONS, type GuildCreate, type Member, OverwriteType, Permissions, type Ready, type Role, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ParleyCache } from './cache';
import { GatewayClient } from './gateway';
import { permissionsInChannel, permissionsInGuild } from './permissions';
import { assignableRoles, canManageRole, hoistedRole, memberGroups, moderationOffer, nameColor, outranks, rolesOf, timeoutEndsAt } from './roles';

class ScriptedGateway extends GatewayClient {
  constructor() {
    super({ url: 'ws://unused', token: 'unused', WebSocket: class {} as never });
  }
  deliver(t: string, d: unknown): void {
    this.emit(t as never, d as never);
  }
}

const sf = (id: string) => id as Snowflake;
const GUILD = sf('100');
const OWNER = sf('1');
const MOD = sf('2');
const MEMBER = sf('3');
const role = (id: string, position: number, extra: Partial<Role> = {}): Role => ({
  id: sf(id),
  name: `role ${id}`,
  color: 0,
  hoist: false,
  icon: null,
  unicode_emoji: null,
  position,
  permissions: '0',
  managed: false,
  mentionable: false,
  flags: 0,
  ...extra,
});
const everyone = role(GUILD, 0, { name: '@everyone', permissions: String(DEFAULT_EVERYONE_PERMISSIONS) });
const mods = role('200', 2, { name: 'Mods', color: 0x3498db, hoist: true, permissions: String(Permissions.KICK_MEMBERS | Permissions.MODERATE_MEMBERS) });
const regulars = role('201', 1, { name: 'Regulars', color: 0x2ecc71 });
const member = (id: Snowflake, roles: Snowflake[], extra: Partial<Member> = {}): Member => ({
  user: { id, username: `u${id}`, global_name: null, avatar: null } as Member['user'],
  nick: null,
  avatar: null,
  roles,
  joined_at: '2026-01-01T00:00:00.000Z',
  premium_since: null,
  deaf: false,
  mute: false,
  flags: 0,
  pending: false,
  communication_disabled_until: null,
  ...extra,
});
const text = (id: string, extra: Partial<Channel> = {}): Channel => ({ id: sf(id), type: ChannelType.GUILD_TEXT, guild_id: GUILD, name: `c${id}`, position: 0, ...extra }) as Channel;

/** A cache signed in as `me`, holding one guild with Mods above Regulars. */
function cacheAs(me: Snowflake, members: Member[], channels: Channel[] = []) {
  const gateway = new ScriptedGateway();
  const cache = new ParleyCache(gateway);
  const guild = { id: GUILD, name: 'G', owner_id: OWNER, roles: [everyone, regulars, mods], channels, threads: [], members } as unknown as GuildCreate;
  gateway.deliver('READY', {
    v: 10,
    user: { id: me, username: 'me' },
    guilds: [guild],
    private_channels: [],
    read_states: [],
    blocked_user_ids: [],
    session_id: 's',
    resume_gateway_url: 'ws://unused',
  } as unknown as Ready);
  return { cache, gateway };
}

describe('the role hierarchy from the cache', () => {
  const people = [member(OWNER, []), member(MOD, [mods.id, regulars.id]), member(MEMBER, [regulars.id])];

  it('lists a member’s roles highest first, colors their name by the highest colored one and groups by the highest hoisted one', () => {
    const { cache } = cacheAs(MEMBER, people);
    expect(rolesOf(cache, GUILD, MOD).map((r) => r.name)).toEqual(['Mods', 'Regulars']);
    expect(nameColor(cache, GUILD, MOD)).toBe('#3498db');
    expect(nameColor(cache, GUILD, MEMBER)).toBe('#2ecc71');
    expect(nameColor(cache, GUILD, OWNER)).toBeNull();
    expect(hoistedRole(cache, GUILD, MOD)?.id).toBe(mods.id);
    expect(hoistedRole(cache, GUILD, MEMBER)).toBeNull();
  });

  it('groups the member list: online members under their highest hoisted role, then Online, then Offline', () => {
    const everyoneList = [...people, member(sf('4'), [mods.id]), member(sf('5'), [])];
    const { cache } = cacheAs(MEMBER, everyoneList);
    const online = new Set([MOD, MEMBER, OWNER, sf('4')]);
    const byId = (a: Member, b: Member) => (a.user.id < b.user.id ? -1 : 1);
    const groups = memberGroups(cache, GUILD, everyoneList, (id) => online.has(id), byId);
    expect(groups.map((g) => [g.label, g.members.map((m) => m.user.id)])).toEqual([
      ['Mods', [MOD, '4']],
      ['Online', [OWNER, MEMBER]],
      ['Offline', ['5']],
    ]);
    expect(groups.map((g) => g.count)).toEqual([2, 2, 1]);

    // A large server counts everyone online there, also those whose presence is not followed.
    const counted = memberGroups(cache, GUILD, everyoneList, (id) => online.has(id), byId, { online: 9, members: 12 });
    expect(counted.map((g) => [g.label, g.count, g.members.length])).toEqual([
      ['Mods', 2, 2],
      ['Online', 7, 2],
      ['Offline', 3, 1],
    ]);
    // Nobody shown online yet, but the server counts some: the Online heading is there.
    expect(memberGroups(cache, GUILD, everyoneList, () => false, byId, { online: 1, members: 5 }).map((g) => [g.label, g.count])).toEqual([
      ['Online', 1],
      ['Offline', 4],
    ]);
  });

  it('lets a moderator act only on those below their highest role, and nobody on the owner or themselves', () => {
    const asMod = cacheAs(MOD, people).cache;
    expect(outranks(asMod, GUILD, MEMBER)).toBe(true);
    expect(outranks(asMod, GUILD, OWNER)).toBe(false);
    expect(outranks(asMod, GUILD, MOD)).toBe(false);
    expect(canManageRole(asMod, GUILD, regulars)).toBe(true);
    expect(canManageRole(asMod, GUILD, mods)).toBe(false);
    const asMember = cacheAs(MEMBER, people).cache;
    expect(outranks(asMember, GUILD, MOD)).toBe(false);
    // Two members with the same highest role: neither stands above the other.
    expect(outranks(cacheAs(MEMBER, [...people, member(sf('4'), [regulars.id])]).cache, GUILD, sf('4'))).toBe(false);
    const asOwner = cacheAs(OWNER, people).cache;
    expect(outranks(asOwner, GUILD, MOD)).toBe(true);
    expect(canManageRole(asOwner, GUILD, mods)).toBe(true);
  });

  it("offers moderation by permission and rank: roles below one's highest, actions only on those below, nothing while timed out", () => {
    const bot = role('203', 0, { name: 'Bot', managed: true });
    const admins = role('204', 3, { name: 'Admins', permissions: String(Permissions.MANAGE_ROLES | Permissions.BAN_MEMBERS) });
    const { cache, gateway } = cacheAs(MOD, [...people, member(sf('4'), [admins.id])]);
    gateway.deliver('GUILD_ROLE_CREATE', { guild_id: GUILD, role: bot });
    gateway.deliver('GUILD_ROLE_CREATE', { guild_id: GUILD, role: admins });
    // Mods hold Kick and Moderate Members, not Ban or Manage Roles.
    expect(moderationOffer(cache, GUILD, MEMBER)).toEqual({ manageRoles: false, timeOut: true, kick: true, ban: false });
    expect(moderationOffer(cache, GUILD, OWNER)).toEqual({ manageRoles: false, timeOut: false, kick: false, ban: false });
    expect(moderationOffer(cache, GUILD, sf('4'))).toEqual({ manageRoles: false, timeOut: false, kick: false, ban: false });
    expect(assignableRoles(cache, GUILD).map((r) => r.name)).toEqual(['Regulars']);

    const asAdmin = cacheAs(sf('4'), [...people, member(sf('4'), [admins.id])]);
    asAdmin.gateway.deliver('GUILD_ROLE_CREATE', { guild_id: GUILD, role: admins });
    expect(moderationOffer(asAdmin.cache, GUILD, MOD)).toEqual({ manageRoles: true, timeOut: false, kick: false, ban: true });
    expect(assignableRoles(asAdmin.cache, GUILD).map((r) => r.name)).toEqual(['Mods', 'Regulars']);

    const now = Date.parse('2026-06-01T12:00:00Z');
    const timedOut = cacheAs(MOD, [member(MOD, [mods.id], { communication_disabled_until: '2026-06-01T12:10:00.000Z' }), member(MEMBER, [])]).cache;
    expect(moderationOffer(timedOut, GUILD, MEMBER, now)).toEqual({ manageRoles: false, timeOut: false, kick: false, ban: false });
    expect(moderationOffer(timedOut, GUILD, MEMBER, Date.parse('2026-06-01T12:11:00Z')).kick).toBe(true);
  });

  it('follows role events: created, edited and deleted roles change permissions and colors at once', () => {
    const { cache, gateway } = cacheAs(MEMBER, people);
    expect(permissionsInGuild(cache, GUILD) & Permissions.MANAGE_MESSAGES).toBe(0n);
    gateway.deliver('GUILD_ROLE_UPDATE', { guild_id: GUILD, role: { ...regulars, color: 0xff0000, permissions: String(Permissions.MANAGE_MESSAGES) } });
    expect(permissionsInGuild(cache, GUILD) & Permissions.MANAGE_MESSAGES).toBe(Permissions.MANAGE_MESSAGES);
    expect(nameColor(cache, GUILD, MEMBER)).toBe('#ff0000');

    const helpers = role('202', 3, { name: 'Helpers', color: 0x00ff00 });
    gateway.deliver('GUILD_ROLE_CREATE', { guild_id: GUILD, role: helpers });
    gateway.deliver('GUILD_MEMBER_UPDATE', { guild_id: GUILD, ...member(MEMBER, [regulars.id, helpers.id]) });
    expect(nameColor(cache, GUILD, MEMBER)).toBe('#00ff00');

    gateway.deliver('GUILD_ROLE_DELETE', { guild_id: GUILD, role_id: regulars.id });
    expect(cache.guilds.get(GUILD)?.roles.some((r) => r.id === regulars.id)).toBe(false);
    expect(cache.members.get(GUILD)?.get(MEMBER)?.roles).toEqual([helpers.id]);
    expect(permissionsInGuild(cache, GUILD) & Permissions.MANAGE_MESSAGES).toBe(0n);
  });
});

describe('permissions in a channel from the cache', () => {
  const overwrites = [
    { id: GUILD, type: OverwriteType.ROLE, allow: '0', deny: String(Permissions.VIEW_CHANNEL) },
    { id: mods.id, type: OverwriteType.ROLE, allow: String(Permissions.VIEW_CHANNEL), deny: '0' },
  ];
  const staff = text('300', { permission_overwrites: overwrites });
  const thread = text('301', { type: ChannelType.PUBLIC_THREAD, parent_id: staff.id });
  const readOnly = text('302', { permission_overwrites: [{ id: MEMBER, type: OverwriteType.MEMBER, allow: '0', deny: String(Permissions.SEND_MESSAGES) }] });

  it('applies overwrites (a thread follows its parent) and the implicit denials', () => {
    const people = [member(MOD, [mods.id]), member(MEMBER, [])];
    const asMod = cacheAs(MOD, people, [staff, thread, readOnly]).cache;
    const asMember = cacheAs(MEMBER, people, [staff, thread, readOnly]).cache;
    expect(permissionsInChannel(asMod, staff) & Permissions.VIEW_CHANNEL).toBe(Permissions.VIEW_CHANNEL);
    expect(permissionsInChannel(asMember, staff)).toBe(0n);
    expect(permissionsInChannel(asMember, thread)).toBe(0n);
    expect(permissionsInChannel(asMod, thread) & Permissions.SEND_MESSAGES_IN_THREADS).toBe(Permissions.SEND_MESSAGES_IN_THREADS);
    const inReadOnly = permissionsInChannel(asMember, readOnly);
    expect(inReadOnly & Permissions.SEND_MESSAGES).toBe(0n);
    expect(inReadOnly & Permissions.ATTACH_FILES).toBe(0n);
    expect(inReadOnly & Permissions.READ_MESSAGE_HISTORY).toBe(Permissions.READ_MESSAGE_HISTORY);
  });

  it('takes sending away while a timeout lasts, and gives it back when it ends', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const until = '2026-06-01T12:10:00.000Z';
    const { cache } = cacheAs(MEMBER, [member(MEMBER, [], { communication_disabled_until: until })], [readOnly]);
    const general = text('303');
    expect(permissionsInChannel(cache, general, now)).toBe(Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY);
    expect(permissionsInGuild(cache, GUILD, now) & Permissions.CREATE_INSTANT_INVITE).toBe(0n);
    expect(timeoutEndsAt(cache.members.get(GUILD)?.get(MEMBER), now)?.toISOString()).toBe(until);
    const later = Date.parse(until) + 1;
    expect(permissionsInChannel(cache, general, later) & Permissions.SEND_MESSAGES).toBe(Permissions.SEND_MESSAGES);
    expect(timeoutEndsAt(cache.members.get(GUILD)?.get(MEMBER), later)).toBeNull();
  });
});
