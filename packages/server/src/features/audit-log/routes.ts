import { type AuditLogEntry, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { AuditLogEntryRow } from '../../db/tables';
import { routeRegistrar } from '../../http/routes';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';

/**
 * GET /guilds/{id}/audit-logs (View Audit Log, declared by the route), in Discord's shape:
 * newest first; `user_id` (who acted) and `action_type` filter; `before` pages back from an
 * entry, `after` returns the entries just after one (still newest first); `users` holds the
 * actors and the users acted on.
 */
export function auditLogRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  route(routes.auditLog.list, async ({ params, query }) => {
    let rows = db.selectFrom('audit_log_entries').selectAll().where('guild_id', '=', params.guild_id);
    if (query.user_id) rows = rows.where('user_id', '=', query.user_id);
    if (query.action_type !== undefined) rows = rows.where('action_type', '=', query.action_type);
    if (query.before) rows = rows.where('id', '<', query.before);
    let entries: AuditLogEntryRow[];
    if (query.after) {
      entries = (await rows.where('id', '>', query.after).orderBy('id', 'asc').limit(query.limit).execute()).reverse();
    } else {
      entries = await rows.orderBy('id', 'desc').limit(query.limit).execute();
    }
    const users = await usersByIds(
      db,
      entries.flatMap((e) => [e.user_id, ...(e.target_id ? [e.target_id] : [])]),
    );
    return {
      audit_log_entries: entries.map(toEntry),
      users: [...users.values()].map(toUser),
      application_commands: [],
      auto_moderation_rules: [],
      guild_scheduled_events: [],
      integrations: [],
      threads: [],
      webhooks: [],
    };
  });
}

function toEntry(row: AuditLogEntryRow): AuditLogEntry {
  return {
    id: row.id,
    target_id: row.target_id,
    user_id: row.user_id,
    action_type: row.action_type,
    ...(row.changes && { changes: JSON.parse(row.changes) as AuditLogEntry['changes'] }),
    ...(row.options && { options: JSON.parse(row.options) as AuditLogEntry['options'] }),
    ...(row.reason !== null && { reason: row.reason }),
  };
}
