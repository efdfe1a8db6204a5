import { AuditLogEvent, Limits, routes, snowflakeTimestamp } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { auditReason, recordAudit } from '../audit-log/record';
import { deleteMessages } from '../messages/delete';

/**
 * POST /channels/{id}/messages/bulk-delete: a moderator (Manage Messages, declared by the
 * route) deletes 2 to 100 messages of one channel at once. As in Discord, any ID older than 14
 * days refuses the whole request (50034) and nothing is deleted; IDs that name no message of
 * this channel are ignored; the same ID twice is a field error. The channel's audience hears
 * one MESSAGE_DELETE_BULK; the audit log records the count.
 */
export function bulkDeleteRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);

  route(routes.moderation.bulkDelete, async ({ auth, access, body, request }) => {
    const ids = body.messages;
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (seen.has(id)) throw fieldError(`messages.${index}`, 'BASE_TYPE_INVALID', 'The same message is named twice');
      seen.add(id);
    });
    const oldest = ctx.clock.now() - Limits.bulkDeleteMaxAgeMs;
    if (ids.some((id) => snowflakeTimestamp(id) < oldest)) throw new ApiError('BULK_DELETE_TOO_OLD');
    const deleted = await deleteMessages(ctx, access.channel, access.parent, ids, { bulk: true });
    if (deleted.length && access.channel.guild_id) {
      await recordAudit(ctx, ctx.db, {
        guildId: access.channel.guild_id,
        userId: auth.user.id,
        action: AuditLogEvent.MESSAGE_BULK_DELETE,
        targetId: access.channel.id,
        options: { count: String(deleted.length) },
        reason: auditReason(request),
      });
    }
  });
}
