import type { InstanceAuditAction, InstanceAuditEntry, InstanceAuditTargetType, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../context';
import type { Tables } from '../../db/tables';
import { usersByIds } from '../users/queries';

/** One instance audit entry: who (null: the instance itself) did what to what, and why. */
export interface InstanceAuditRecord {
  actorId: Snowflake | null;
  action: InstanceAuditAction;
  target?: { type: InstanceAuditTargetType; id: Snowflake };
  reason?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Records an instance admin's or the safety system's action. Called after the action is made,
 * inside its transaction when there is one (`db` may be the transaction).
 */
export async function recordInstanceAudit(ctx: Pick<AppContext, 'ids' | 'clock'>, db: Kysely<Tables>, record: InstanceAuditRecord): Promise<void> {
  await db
    .insertInto('instance_audit_log')
    .values({
      id: ctx.ids.next(),
      actor_id: record.actorId,
      action: record.action,
      target_type: record.target?.type ?? null,
      target_id: record.target?.id ?? null,
      reason: record.reason ?? null,
      details: record.details ? JSON.stringify(record.details) : null,
      created_at: ctx.clock.now(),
    })
    .execute();
}

export interface InstanceAuditQuery {
  /** Entries older than this ID (paging back). */
  before?: Snowflake;
  limit: number;
  action?: InstanceAuditAction;
  target?: { type: InstanceAuditTargetType; id: Snowflake };
}

/** Newest first. */
export async function listInstanceAudit(ctx: Pick<AppContext, 'db'>, query: InstanceAuditQuery): Promise<InstanceAuditEntry[]> {
  let select = ctx.db.selectFrom('instance_audit_log').selectAll().orderBy('id', 'desc').limit(query.limit);
  if (query.before) select = select.where('id', '<', query.before);
  if (query.action) select = select.where('action', '=', query.action);
  if (query.target) select = select.where('target_type', '=', query.target.type).where('target_id', '=', query.target.id);
  const rows = await select.execute();
  const userIds = rows.flatMap((row) => [...(row.actor_id ? [row.actor_id] : []), ...(row.target_type === 'user' && row.target_id ? [row.target_id] : [])]);
  const users = await usersByIds(ctx.db, userIds);
  const nameOf = (id: Snowflake | null) => {
    const user = id ? users.get(id) : undefined;
    return user ? `${user.global_name ?? user.username} (@${user.username})` : null;
  };
  return rows.map((row) => ({
    id: row.id,
    actor_id: row.actor_id,
    action: row.action as InstanceAuditAction,
    target_type: row.target_type as InstanceAuditTargetType | null,
    target_id: row.target_id,
    reason: row.reason,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    created_at: new Date(row.created_at).toISOString(),
    actor_name: nameOf(row.actor_id),
    target_name: row.target_type === 'user' ? nameOf(row.target_id) : null,
  }));
}
