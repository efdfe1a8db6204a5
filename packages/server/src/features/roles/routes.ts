import { AuditLogEvent, Limits, type Role, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { requireGrantable, requireRoleBelow } from '../../access/access';
import type { AppContext } from '../../context';
import type { RoleRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { auditReason, changesBetween, recordAudit } from '../audit-log/record';
import { withRelisting } from '../channels/relisting';
import { toRole } from '../guilds/serialize';
import { changeMemberRoles } from './member-roles';
import { rulesChanged } from '../../access/guild-rules';

const ROLE_FIELDS = ['name', 'permissions', 'color', 'hoist', 'mentionable'] as const satisfies readonly (keyof Role)[];

/**
 * Roles: creating, editing, ordering and deleting them, and giving them to members, with
 * Discord's rules: Manage Roles; only roles below your highest (the owner stands above all);
 * never a permission you do not hold. @everyone (the role with the guild's ID) is edited only in
 * its permissions, never moved or deleted. A change that alters who sees what is announced to
 * whoever it concerns (channels/relisting.ts).
 */
export function roleRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  const rolesOf = (guildId: Snowflake) => db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).orderBy('position').orderBy('id').execute();

  async function roleOf(guildId: Snowflake, roleId: Snowflake): Promise<RoleRow> {
    const role = await db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).where('id', '=', roleId).executeTakeFirst();
    if (!role) throw new ApiError('UNKNOWN_ROLE');
    return role;
  }

  const publishRoles = (guildId: Snowflake, t: 'GUILD_ROLE_CREATE' | 'GUILD_ROLE_UPDATE', rows: RoleRow[]) =>
    ctx.events.publish(...rows.map((row) => event(t, { guild_id: guildId, role: toRole(row) }, { guilds: [guildId] })));

  route(routes.roles.list, async ({ params }) => (await rolesOf(params.guild_id)).map(toRole));

  route(routes.roles.create, async ({ auth, access, params, body, request }) => {
    const permissions = body.permissions ?? '0';
    requireGrantable(access.permissions, BigInt(permissions));
    const count = await db
      .selectFrom('roles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('guild_id', '=', params.guild_id)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= Limits.rolesPerGuild) throw new ApiError('MAX_ROLES');
    const id = ctx.ids.next();
    // A new role starts just above @everyone, as in Discord: the others move up one.
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('roles')
        .set((eb) => ({ position: eb('position', '+', 1) }))
        .where('guild_id', '=', params.guild_id)
        .where('id', '!=', params.guild_id)
        .execute();
      await trx
        .insertInto('roles')
        .values({
          id,
          guild_id: params.guild_id,
          name: body.name ?? 'new role',
          permissions,
          position: 1,
          color: body.color ?? 0,
          hoist: body.hoist ? 1 : 0,
          mentionable: body.mentionable ? 1 : 0,
        })
        .execute();
      await rulesChanged(trx, params.guild_id);
      const created = toRole(await trx.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      await recordAudit(ctx, trx, {
        guildId: params.guild_id,
        userId: auth.user.id,
        action: AuditLogEvent.ROLE_CREATE,
        targetId: id,
        changes: ROLE_FIELDS.map((key) => ({ key, new_value: created[key] })),
        reason: auditReason(request),
      });
    });
    const roles = await rolesOf(params.guild_id);
    const created = roles.find((r) => r.id === id)!;
    await publishRoles(params.guild_id, 'GUILD_ROLE_CREATE', [created]);
    await publishRoles(
      params.guild_id,
      'GUILD_ROLE_UPDATE',
      roles.filter((r) => r.id !== id && r.id !== params.guild_id),
    );
    return toRole(created);
  });

  route(routes.roles.update, async ({ auth, access, params, body, request }) => {
    const role = await roleOf(params.guild_id, params.role_id);
    requireRoleBelow(access, role);
    const isEveryone = role.id === params.guild_id;
    if (isEveryone && (body.name !== undefined || body.hoist || body.mentionable)) throw fieldError('name', 'BASE_TYPE_INVALID', '@everyone can only have its permissions changed');
    if (body.permissions !== undefined) requireGrantable(access.permissions, BigInt(body.permissions) & ~BigInt(role.permissions));
    const changes = {
      ...(body.name !== undefined && { name: body.name }),
      ...(body.permissions !== undefined && { permissions: body.permissions }),
      ...(body.color !== undefined && { color: body.color ?? 0 }),
      ...(body.hoist !== undefined && { hoist: body.hoist ? (1 as const) : (0 as const) }),
      ...(body.mentionable !== undefined && { mentionable: body.mentionable ? (1 as const) : (0 as const) }),
    };
    const apply = async () => {
      if (Object.keys(changes).length) {
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('roles').set(changes).where('id', '=', role.id).execute();
          await rulesChanged(trx, params.guild_id);
        });
      }
      return roleOf(params.guild_id, role.id);
    };
    // New permissions may show or hide channels for everyone holding the role.
    const updated = changes.permissions !== undefined && changes.permissions !== role.permissions ? await withRelisting(ctx, params.guild_id, undefined, apply) : await apply();
    const diff = changesBetween(toRole(role), toRole(updated), ROLE_FIELDS);
    if (diff.length) {
      await recordAudit(ctx, db, { guildId: params.guild_id, userId: auth.user.id, action: AuditLogEvent.ROLE_UPDATE, targetId: role.id, changes: diff, reason: auditReason(request) });
      await publishRoles(params.guild_id, 'GUILD_ROLE_UPDATE', [updated]);
    }
    return toRole(updated);
  });

  route(routes.roles.delete, async ({ auth, access, params, request }) => {
    const role = await roleOf(params.guild_id, params.role_id);
    if (role.id === params.guild_id || role.managed === 1) throw new ApiError('MISSING_PERMISSIONS');
    requireRoleBelow(access, role);
    await withRelisting(ctx, params.guild_id, undefined, () =>
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('member_roles').where('role_id', '=', role.id).execute();
        await trx.deleteFrom('permission_overwrites').where('target_id', '=', role.id).where('type', '=', 0).execute();
        await trx.deleteFrom('roles').where('id', '=', role.id).execute();
        await rulesChanged(trx, params.guild_id);
        await recordAudit(ctx, trx, {
          guildId: params.guild_id,
          userId: auth.user.id,
          action: AuditLogEvent.ROLE_DELETE,
          targetId: role.id,
          changes: ROLE_FIELDS.map((key) => ({ key, old_value: toRole(role)[key] })),
          reason: auditReason(request),
        });
      }),
    );
    await ctx.events.publish(event('GUILD_ROLE_DELETE', { guild_id: params.guild_id, role_id: role.id }, { guilds: [params.guild_id] }));
  });

  route(routes.roles.reorder, async ({ access, params, body }) => {
    const roles = await rolesOf(params.guild_id);
    const byId = new Map(roles.map((r) => [r.id, r]));
    const top = access.member.user_id === access.guild.owner_id ? Infinity : Math.max(0, ...access.roles.filter((r) => r.id !== params.guild_id).map((r) => r.position));
    for (const [index, move] of body.entries()) {
      const role = byId.get(move.id);
      if (!role) throw fieldError(`${index}.id`, 'BASE_TYPE_INVALID', 'Unknown role');
      if (role.id === params.guild_id) throw fieldError(`${index}.id`, 'BASE_TYPE_INVALID', '@everyone always stays at the bottom');
      // Only roles below your highest, to places below it.
      if (role.position >= top || (move.position ?? role.position) >= top) throw new ApiError('MISSING_PERMISSIONS');
    }
    const order = reorder(roles, body, params.guild_id);
    const moved = order.filter((r, i) => r.position !== i + 1);
    if (moved.length) {
      await db.transaction().execute(async (trx) => {
        for (const [i, role] of order.entries())
          if (role.position !== i + 1)
            await trx
              .updateTable('roles')
              .set({ position: i + 1 })
              .where('id', '=', role.id)
              .execute();
        await rulesChanged(trx, params.guild_id);
      });
    }
    const after = await rolesOf(params.guild_id);
    await publishRoles(
      params.guild_id,
      'GUILD_ROLE_UPDATE',
      after.filter((r) => moved.some((m) => m.id === r.id)),
    );
    return after.map(toRole);
  });

  route(routes.roles.addToMember, async ({ auth, access, params, request }) => {
    await changeMemberRoles(ctx, access, params.user_id, { add: [params.role_id], remove: [] }, auth.user.id, auditReason(request));
  });

  route(routes.roles.removeFromMember, async ({ auth, access, params, request }) => {
    await changeMemberRoles(ctx, access, params.user_id, { add: [], remove: [params.role_id] }, auth.user.id, auditReason(request));
  });
}

/**
 * The roles above @everyone in their new order (bottom first): the moved roles take the
 * positions asked for, the others keep their relative order around them.
 */
function reorder(roles: readonly RoleRow[], moves: readonly { id: Snowflake; position?: number | null | undefined }[], everyoneId: Snowflake): RoleRow[] {
  const wanted = new Map(moves.filter((m) => m.position !== null && m.position !== undefined).map((m) => [m.id, m.position!]));
  const rest = roles.filter((r) => r.id !== everyoneId && !wanted.has(r.id));
  const placed = roles.filter((r) => wanted.has(r.id)).sort((a, b) => wanted.get(a.id)! - wanted.get(b.id)! || a.position - b.position);
  const order = [...rest];
  for (const role of placed) order.splice(Math.min(Math.max(wanted.get(role.id)! - 1, 0), order.length), 0, role);
  return order;
}
