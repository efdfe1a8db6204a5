import type { Role, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ROLE_COLORS, draftOf, parseColor, roleChanges, steppedPosition } from './roleEditing';

const guildId = '100' as Snowflake;
const role = (over: Partial<Role> = {}): Role => ({
  id: '200' as Snowflake,
  name: 'Mods',
  color: 0,
  hoist: false,
  icon: null,
  unicode_emoji: null,
  position: 2,
  permissions: '2',
  managed: false,
  mentionable: false,
  flags: 0,
  ...over,
});

describe('role colors', () => {
  it("offers Discord's twenty presets, all distinct", () => {
    expect(ROLE_COLORS).toHaveLength(20);
    expect(new Set(ROLE_COLORS).size).toBe(20);
  });
  it('reads a color input', () => {
    expect(parseColor('#E91E63')).toBe(0xe91e63);
    expect(parseColor('red')).toBeNull();
  });
});

describe('roleChanges', () => {
  it('sends only what differs', () => {
    const r = role();
    expect(roleChanges(r, draftOf(r), guildId)).toEqual({});
    expect(roleChanges(r, { ...draftOf(r), name: 'Moderators', color: 0x3498db, hoist: true, permissions: 6n }, guildId)).toEqual({
      name: 'Moderators',
      color: 0x3498db,
      hoist: true,
      permissions: '6',
    });
  });
  it('changes only the permissions of @everyone', () => {
    const everyone = role({ id: guildId, name: '@everyone', position: 0 });
    expect(roleChanges(everyone, { ...draftOf(everyone), name: 'x', hoist: true, permissions: 0n }, guildId)).toEqual({ permissions: '0' });
  });
});

describe('steppedPosition', () => {
  it('moves up and down within the allowed range', () => {
    expect(steppedPosition({ position: 2 }, -1, 5)).toBe(3);
    expect(steppedPosition({ position: 2 }, 1, 5)).toBe(1);
  });
  it('stops above @everyone and at the top', () => {
    expect(steppedPosition({ position: 1 }, 1, 5)).toBeNull();
    expect(steppedPosition({ position: 5 }, -1, 5)).toBeNull();
    expect(steppedPosition({ position: 4 }, -1, 5)).toBe(5);
  });
});
