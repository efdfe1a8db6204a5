import { AUDIT_LOG_REASON_HEADER, type AuditLogChange, type AuditLogEvent, Limits, type Snowflake } from '@parley/protocol';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../context';
import type { Tables } from '../../db/tables';

/** What one audit log entry says: who did what to whom, what changed, and why. */
export interface AuditRecord {
  guildId: Snowflake;
  /** Who acted. */
  userId: Snowflake;
  action: AuditLogEvent;
  targetId?: Snowflake | null;
  changes?: AuditLogChange[];
  /** Discord's optional entry info; values are strings. */
  options?: Record<string, string>;
  reason?: string | null;
}

/**
 * Records a moderation or settings change. Called by the route that made it, after it is made
 * (inside its transaction when there is one: `db` may be the transaction).
 */
export async function recordAudit(ctx: Pick<AppContext, 'ids'>, db: Kysely<Tables>, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log_entries')
    .values({
      id: ctx.ids.next(),
      guild_id: record.guildId,
      user_id: record.userId,
      target_id: record.targetId ?? null,
      action_type: record.action,
      changes: record.changes?.length ? JSON.stringify(record.changes) : null,
      options: record.options ? JSON.stringify(record.options) : null,
      reason: record.reason ?? null,
    })
    .execute();
}

/**
 * The reason a moderator gave, from the X-Audit-Log-Reason header (URL-encoded, as Discord
 * takes it; a header that does not decode is taken as sent), trimmed to the limit.
 */
export function auditReason(request: FastifyRequest): string | null {
  const raw = request.headers[AUDIT_LOG_REASON_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return null;
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    // Not URL-encoded: kept as sent.
  }
  const reason = decoded.replace(/[\u0000-\u001F\u007F]/g, ' ').trim();
  return reason ? reason.slice(0, Limits.auditReasonMax) : null;
}

/** The changed fields between two versions of an object, for `changes`. */
export function changesBetween<T extends object>(before: T, after: T, keys: readonly (keyof T & string)[]): AuditLogChange[] {
  return keys.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key])).map((key) => ({ key, old_value: before[key], new_value: after[key] }));
}
