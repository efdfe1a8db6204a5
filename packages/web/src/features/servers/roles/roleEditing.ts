import type { Role, Snowflake, UpdateRoleBody } from '@parley/protocol';

/** Discord's preset role colors (RGB integers); 0 is "no color" (the default). */
export const ROLE_COLORS: readonly number[] = [
  0x1abc9c, 0x2ecc71, 0x3498db, 0x9b59b6, 0xe91e63, 0xf1c40f, 0xe67e22, 0xe74c3c, 0x95a5a6, 0x607d8b, 0x11806a, 0x1f8b4c, 0x206694, 0x71368a, 0xad1457, 0xc27c0e, 0xa84300, 0x992d22, 0x979c9f,
  0x546e7a,
];

/** "#rrggbb" from an input of type color, as the RGB integer a role stores; null when it is not one. */
export function parseColor(hex: string): number | null {
  return /^#[0-9a-f]{6}$/i.test(hex) ? Number.parseInt(hex.slice(1), 16) : null;
}

/** What the role editor changes: the fields of a role a person edits. */
export interface RoleDraft {
  name: string;
  color: number;
  hoist: boolean;
  mentionable: boolean;
  permissions: bigint;
}

export function draftOf(role: Role): RoleDraft {
  return { name: role.name, color: role.color, hoist: role.hoist, mentionable: role.mentionable, permissions: BigInt(role.permissions) };
}

/** The PATCH body that turns `role` into `draft`: only what differs (@everyone: only its permissions). */
export function roleChanges(role: Role, draft: RoleDraft, guildId: Snowflake): UpdateRoleBody {
  const body: UpdateRoleBody = {};
  if (BigInt(role.permissions) !== draft.permissions) body.permissions = draft.permissions.toString();
  if (role.id === guildId) return body;
  if (draft.name.trim() !== role.name) body.name = draft.name;
  if (draft.color !== role.color) body.color = draft.color;
  if (draft.hoist !== role.hoist) body.hoist = draft.hoist;
  if (draft.mentionable !== role.mentionable) body.mentionable = draft.mentionable;
  return body;
}

/**
 * The position a role moves to one step up (-1) or down (+1) in a list shown highest first,
 * or null when it cannot go further: above `highest` (the top role's position) or down to
 * @everyone. Roles other than @everyone sit at positions 1…n; the server shifts the others.
 */
export function steppedPosition(role: Pick<Role, 'position'>, step: -1 | 1, highest: number): number | null {
  const next = role.position - step;
  return next < 1 || next > highest ? null : next;
}
