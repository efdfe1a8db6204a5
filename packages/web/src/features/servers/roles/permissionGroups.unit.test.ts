import { ALL_PERMISSIONS, Permissions } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { PERMISSION_GROUPS, switchableBits, togglePermission } from './permissionGroups';

describe('permission groups', () => {
  it('hold every permission bit exactly once, each labelled and explained', () => {
    const items = PERMISSION_GROUPS.flatMap((g) => g.items);
    expect(items.map((i) => i.name).sort()).toEqual(Object.keys(Permissions).sort());
    expect(items.reduce((all, i) => all | i.bit, 0n)).toBe(ALL_PERMISSIONS);
    for (const item of items) {
      expect(item.label).not.toBe('');
      expect(item.description).toMatch(/\.$/);
    }
  });

  it('follow Discord: general, membership, text, voice, then Administrator alone', () => {
    expect(PERMISSION_GROUPS.map((g) => g.title)).toEqual(['General server permissions', 'Membership permissions', 'Text channel permissions', 'Voice channel permissions', 'Advanced permissions']);
    expect(PERMISSION_GROUPS.at(-1)!.items.map((i) => i.name)).toEqual(['ADMINISTRATOR']);
    expect(PERMISSION_GROUPS[1]!.items.find((i) => i.name === 'MODERATE_MEMBERS')!.label).toBe('Time out members');
  });
});

describe('switchableBits', () => {
  it('is what one holds; an administrator holds everything', () => {
    const mod = Permissions.KICK_MEMBERS | Permissions.MANAGE_ROLES;
    expect(switchableBits(mod)).toBe(mod);
    expect(switchableBits(mod) & Permissions.ADMINISTRATOR).toBe(0n);
    expect(switchableBits(Permissions.ADMINISTRATOR)).toBe(ALL_PERMISSIONS);
  });
});

describe('togglePermission', () => {
  it('switches one bit and leaves the others', () => {
    const bits = Permissions.SEND_MESSAGES;
    expect(togglePermission(bits, Permissions.KICK_MEMBERS, true)).toBe(Permissions.SEND_MESSAGES | Permissions.KICK_MEMBERS);
    expect(togglePermission(bits, Permissions.SEND_MESSAGES, false)).toBe(0n);
    expect(togglePermission(bits, Permissions.SEND_MESSAGES, true)).toBe(bits);
  });
});
