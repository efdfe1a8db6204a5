import { z } from 'zod';
import { Role } from './guilds';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { PermissionBitSet } from './overwrites';
import { defineRoute } from './route';

/*
 * Roles, in Discord's v10 shapes. @everyone is the role whose id is the guild's: it always sits
 * at position 0, cannot be deleted, renamed or moved, and everyone holds it. Above it, a higher
 * position outranks a lower one (the hierarchy: see the server's access module).
 */

const RoleColor = z.number().int().min(0).max(0xffffff);

export const CreateRoleBody = z.object({
  name: line(Limits.roleNameMax, 1).optional(),
  permissions: PermissionBitSet.optional(),
  color: RoleColor.optional(),
  hoist: z.boolean().optional(),
  mentionable: z.boolean().optional(),
});
export type CreateRoleBody = z.infer<typeof CreateRoleBody>;

export const UpdateRoleBody = z.object({
  name: line(Limits.roleNameMax, 1).optional(),
  permissions: PermissionBitSet.optional(),
  color: RoleColor.nullable().optional(),
  hoist: z.boolean().nullable().optional(),
  mentionable: z.boolean().nullable().optional(),
});
export type UpdateRoleBody = z.infer<typeof UpdateRoleBody>;

/** PATCH /guilds/{id}/roles: new positions for some roles (the others keep their order). */
export const RolePositionsBody = z
  .array(z.object({ id: Snowflake, position: z.number().int().min(1).max(Limits.rolesPerGuild).nullable().optional() }))
  .min(1)
  .max(Limits.rolesPerGuild);

const GuildParams = z.object({ guild_id: Snowflake });
const RoleParams = z.object({ guild_id: Snowflake, role_id: Snowflake });
const MemberRoleParams = z.object({ guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake });

export const roleRoutes = {
  list: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/roles',
    summary: "A server's roles",
    tag: 'Roles',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    response: z.array(Role),
  }),
  create: defineRoute({
    method: 'POST',
    path: '/guilds/:guild_id/roles',
    summary: 'Create a role, just above @everyone (Manage Roles; only permissions you hold yourself)',
    tag: 'Roles',
    auth: 'user',
    requires: { guild: ['MANAGE_ROLES'] },
    params: GuildParams,
    body: CreateRoleBody,
    response: Role,
  }),
  reorder: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/roles',
    summary: 'Move roles (Manage Roles; only roles below your highest, to places below it)',
    tag: 'Roles',
    auth: 'user',
    requires: { guild: ['MANAGE_ROLES'] },
    params: GuildParams,
    body: RolePositionsBody,
    response: z.array(Role),
  }),
  update: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/roles/:role_id',
    summary: 'Edit a role below your highest (Manage Roles; only permissions you hold yourself)',
    tag: 'Roles',
    auth: 'user',
    requires: { guild: ['MANAGE_ROLES'] },
    params: RoleParams,
    body: UpdateRoleBody,
    response: Role,
  }),
  delete: defineRoute({
    method: 'DELETE',
    path: '/guilds/:guild_id/roles/:role_id',
    summary: 'Delete a role below your highest (Manage Roles); @everyone cannot be deleted',
    tag: 'Roles',
    auth: 'user',
    requires: { guild: ['MANAGE_ROLES'] },
    params: RoleParams,
    response: null,
  }),
  addToMember: defineRoute({
    method: 'PUT',
    path: '/guilds/:guild_id/members/:user_id/roles/:role_id',
    summary: 'Give a member a role below your highest (Manage Roles)',
    tag: 'Roles',
    auth: 'user',
    requires: { guild: ['MANAGE_ROLES'] },
    params: MemberRoleParams,
    response: null,
  }),
  removeFromMember: defineRoute({
    method: 'DELETE',
    path: '/guilds/:guild_id/members/:user_id/roles/:role_id',
    summary: 'Take a role below your highest from a member (Manage Roles)',
    tag: 'Roles',
    auth: 'user',
    requires: { guild: ['MANAGE_ROLES'] },
    params: MemberRoleParams,
    response: null,
  }),
};
