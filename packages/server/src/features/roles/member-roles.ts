import { AuditLogEvent, type Snowflake } from '@parley/protocol';
import { type GuildAccess, requireRoleBelow } from '../../access/access';
import type { AppContext } from '../../context';
import { ApiError } from '../../http/errors';
import { recordAudit } from '../audit-log/record';
import { withRelisting } from '../channels/relisting';
import { announceMemberUpdate } from '../guilds/membership';

/**
 * Gives and takes roles from a member: every role must exist in the guild, not be @everyone or
 * a bot's managed role, and sit below the actor's highest. Announced as GUILD_MEMBER_UPDATE,
 * with the channels it shows or hides, and recorded as MEMBER_ROLE_UPDATE.
 */
export async function changeMemberRoles(
  ctx: AppContext,
  actor: GuildAccess,
  userId: Snowflake,
  change: { add: Snowflake[]; remove: Snowflake[] },
  actorId: Snowflake,
  reason: string | null,
): Promise<void> {
  const { db } = ctx;
  const guildId = actor.guild.id;
  const member = await db.selectFrom('members').select('user_id').where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirst();
  if (!member) throw new ApiError('UNKNOWN_MEMBER');
  const ids = [...change.add, ...change.remove];
  const roles = ids.length ? await db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).where('id', 'in', ids).execute() : [];
  for (const id of ids) {
    const role = roles.find((r) => r.id === id);
    if (!role) throw new ApiError('UNKNOWN_ROLE');
    if (role.id === guildId || role.managed === 1) throw new ApiError('MISSING_PERMISSIONS');
    requireRoleBelow(actor, role);
  }
  const held = new Set((await db.selectFrom('member_roles').select('role_id').where('guild_id', '=', guildId).where('user_id', '=', userId).execute()).map((r) => r.role_id));
  const added = change.add.filter((id) => !held.has(id));
  const removed = change.remove.filter((id) => held.has(id));
  if (added.length === 0 && removed.length === 0) return;
  await withRelisting(ctx, guildId, [userId], () =>
    db.transaction().execute(async (trx) => {
      if (added.length)
        await trx
          .insertInto('member_roles')
          .values(added.map((role_id) => ({ guild_id: guildId, user_id: userId, role_id })))
          .execute();
      if (removed.length) await trx.deleteFrom('member_roles').where('guild_id', '=', guildId).where('user_id', '=', userId).where('role_id', 'in', removed).execute();
      const named = (list: Snowflake[]) => list.map((id) => ({ id, name: roles.find((r) => r.id === id)!.name }));
      await recordAudit(ctx, trx, {
        guildId,
        userId: actorId,
        action: AuditLogEvent.MEMBER_ROLE_UPDATE,
        targetId: userId,
        changes: [...(added.length ? [{ key: '$add', new_value: named(added) }] : []), ...(removed.length ? [{ key: '$remove', new_value: named(removed) }] : [])],
        reason,
      });
    }),
  );
  await announceMemberUpdate(ctx, guildId, userId);
}
