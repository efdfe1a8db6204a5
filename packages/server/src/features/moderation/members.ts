import { AuditLogEvent, Limits, Permissions, type Snowflake, type UpdateMemberBody, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { type GuildAccess, guildAccess, requireAbove, requirePermission } from '../../access/access';
import type { AppContext } from '../../context';
import { fieldError, ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { auditReason, recordAudit } from '../audit-log/record';
import type { AuditLogChange } from '@parley/protocol';
import { announceMemberUpdate } from '../guilds/membership';
import { loadMembers } from '../guilds/payloads';
import { changeMemberRoles } from '../roles/member-roles';

/**
 * PATCH /guilds/{id}/members/{user_id}: a moderator edits a member. Every field needs its own
 * permission, all checked before anything changes: nick Manage Nicknames, roles Manage Roles
 * (roles below yours), mute Mute Members, deaf Deafen Members, channel_id Move Members, a
 * timeout Moderate Members. Nickname and timeout also need standing above the member, and an
 * administrator cannot be timed out.
 */
export function memberModerationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  route(routes.moderation.updateMember, async ({ auth, access, params, body, request }) => {
    const guildId = params.guild_id;
    const before = await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', params.user_id).executeTakeFirst();
    if (!before) throw new ApiError('UNKNOWN_MEMBER');
    const self = params.user_id === auth.user.id;
    const now = ctx.clock.now();
    const timeout = await checkTimeout(ctx, access, params.user_id, body, now);
    if (body.nick !== undefined) {
      requirePermission(access, self ? Permissions.CHANGE_NICKNAME : Permissions.MANAGE_NICKNAMES);
      if (!self) await requireAbove(db, access, params.user_id);
    }
    if (body.roles !== undefined && body.roles !== null) requirePermission(access, Permissions.MANAGE_ROLES);
    if (body.mute !== undefined && body.mute !== null) requirePermission(access, Permissions.MUTE_MEMBERS);
    if (body.deaf !== undefined && body.deaf !== null) requirePermission(access, Permissions.DEAFEN_MEMBERS);
    if (body.channel_id !== undefined) requirePermission(access, Permissions.MOVE_MEMBERS);

    const reason = auditReason(request);
    if (body.roles !== undefined && body.roles !== null) {
      const held = (await db.selectFrom('member_roles').select('role_id').where('guild_id', '=', guildId).where('user_id', '=', params.user_id).execute()).map((r) => r.role_id);
      const wanted = new Set(body.roles.filter((id) => id !== guildId));
      // A bot's managed role stays whatever the list says: it belongs to the bot's authorisation.
      const managed = new Set((await db.selectFrom('roles').select('id').where('guild_id', '=', guildId).where('managed', '=', 1).execute()).map((r) => r.id));
      await changeMemberRoles(
        ctx,
        access,
        params.user_id,
        { add: [...wanted].filter((id) => !held.includes(id) && !managed.has(id)), remove: held.filter((id) => !wanted.has(id) && !managed.has(id)) },
        auth.user.id,
        reason,
      );
    }

    const changes = {
      ...(body.nick !== undefined && { nick: body.nick || null }),
      ...(body.mute !== undefined && body.mute !== null && { mute: body.mute ? (1 as const) : (0 as const) }),
      ...(body.deaf !== undefined && body.deaf !== null && { deaf: body.deaf ? (1 as const) : (0 as const) }),
      ...(timeout !== undefined && { communication_disabled_until: timeout }),
    };
    const audit: AuditLogChange[] = [];
    if (changes.nick !== undefined && changes.nick !== before.nick) audit.push({ key: 'nick', old_value: before.nick, new_value: changes.nick });
    if (changes.mute !== undefined && changes.mute !== before.mute) audit.push({ key: 'mute', old_value: before.mute === 1, new_value: changes.mute === 1 });
    if (changes.deaf !== undefined && changes.deaf !== before.deaf) audit.push({ key: 'deaf', old_value: before.deaf === 1, new_value: changes.deaf === 1 });
    const iso = (ms: number | null) => (ms === null || ms <= now ? null : new Date(ms).toISOString());
    if (timeout !== undefined && iso(timeout) !== iso(before.communication_disabled_until)) {
      audit.push({ key: 'communication_disabled_until', old_value: iso(before.communication_disabled_until), new_value: iso(timeout) });
    }
    if (Object.keys(changes).length) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('members').set(changes).where('guild_id', '=', guildId).where('user_id', '=', params.user_id).execute();
        if (audit.length) await recordAudit(ctx, trx, { guildId, userId: auth.user.id, action: AuditLogEvent.MEMBER_UPDATE, targetId: params.user_id, changes: audit, reason });
      });
      if (audit.length) await announceMemberUpdate(ctx, guildId, params.user_id);
    }
    if (changes.mute !== undefined || changes.deaf !== undefined) {
      const after = await db.selectFrom('members').select(['mute', 'deaf']).where('guild_id', '=', guildId).where('user_id', '=', params.user_id).executeTakeFirstOrThrow();
      await ctx.calls.setServerVoiceFlags(guildId, params.user_id, { mute: after.mute === 1, deaf: after.deaf === 1 });
    }
    // A timeout takes them out of their call: a timed-out member may not connect.
    if (timeout !== undefined) await ctx.calls.recheckGuild(guildId);
    if (body.channel_id !== undefined) {
      await ctx.calls.moveMember(guildId, params.user_id, body.channel_id);
      await recordAudit(ctx, db, {
        guildId,
        userId: auth.user.id,
        action: body.channel_id === null ? AuditLogEvent.MEMBER_DISCONNECT : AuditLogEvent.MEMBER_MOVE,
        targetId: params.user_id,
        options: { count: '1', ...(body.channel_id !== null && { channel_id: body.channel_id }) },
        reason,
      });
    }
    const row = await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', params.user_id).executeTakeFirstOrThrow();
    return (await loadMembers(db, guildId, [row]))[0]!;
  });
}

/**
 * Times a member out until `until` (an ISO time; null ends it), as PATCH /guilds/:id/members/:user_id
 * with communication_disabled_until does (the report queue calls it too): the same checks
 * (Moderate Members, standing above, never an administrator, at most 28 days), the audit log
 * entry, GUILD_MEMBER_UPDATE, and their call left.
 */
export async function timeoutMember(ctx: AppContext, access: GuildAccess, actorId: Snowflake, userId: Snowflake, until: string | null, reason: string | null): Promise<void> {
  const { db } = ctx;
  const guildId = access.guild.id;
  const before = await db.selectFrom('members').selectAll().where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirst();
  if (!before) throw new ApiError('UNKNOWN_MEMBER');
  const now = ctx.clock.now();
  const timeout = (await checkTimeout(ctx, access, userId, { communication_disabled_until: until }, now)) ?? null;
  const iso = (ms: number | null) => (ms === null || ms <= now ? null : new Date(ms).toISOString());
  const changed = iso(timeout) !== iso(before.communication_disabled_until);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('members').set({ communication_disabled_until: timeout }).where('guild_id', '=', guildId).where('user_id', '=', userId).execute();
    if (changed) {
      const changes = [{ key: 'communication_disabled_until', old_value: iso(before.communication_disabled_until), new_value: iso(timeout) }];
      await recordAudit(ctx, trx, { guildId, userId: actorId, action: AuditLogEvent.MEMBER_UPDATE, targetId: userId, changes, reason });
    }
  });
  if (changed) await announceMemberUpdate(ctx, guildId, userId);
  await ctx.calls.recheckGuild(guildId);
}

/**
 * The timeout asked for, as epoch ms (null to end one), checked: Moderate Members, standing
 * above the member, never an administrator, and no more than 28 days ahead. Undefined when the
 * body does not touch it.
 */
async function checkTimeout(ctx: AppContext, actor: GuildAccess, userId: Snowflake, body: UpdateMemberBody, now: number): Promise<number | null | undefined> {
  if (body.communication_disabled_until === undefined) return undefined;
  requirePermission(actor, Permissions.MODERATE_MEMBERS);
  await requireAbove(ctx.db, actor, userId);
  if (body.communication_disabled_until === null) return null;
  const until = Date.parse(body.communication_disabled_until);
  if (until > now + Limits.timeoutMaxMs) throw fieldError('communication_disabled_until', 'BASE_TYPE_INVALID', 'A timeout lasts at most 28 days');
  const target = await guildAccess(ctx.db, actor.guild.id, userId, now);
  if ((target.permissions & Permissions.ADMINISTRATOR) !== 0n) throw new ApiError('MISSING_PERMISSIONS');
  // A time already past ends any timeout, as null does.
  return until > now ? until : null;
}
