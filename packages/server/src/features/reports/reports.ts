import type { OwnReport, Report, ReportAction, ReportCategory, ReportStatus, SafetyScores, Snowflake } from '@parley/protocol';
import type { Kysely, Selectable } from 'kysely';
import { reportReviewers } from '../../access/reports';
import type { AppContext } from '../../context';
import type { ReportsTable, Tables } from '../../db/tables';
import { event } from '../../events/publisher';

export type ReportRow = Selectable<ReportsTable>;

/** What a new report is about: a message (its author, channel and server) or a person. */
export interface NewReport {
  /** Null: the instance's classifier files it (features/safety). */
  reporterId: Snowflake | null;
  category: ReportCategory;
  /** The reported person: the message's author, or the person reported. */
  userId: Snowflake | null;
  messageId: Snowflake | null;
  channelId: Snowflake | null;
  /** Null for DMs and people: instance admins only. */
  guildId: Snowflake | null;
  note?: string | null;
  /** The message's text now (it may be edited or deleted later). */
  content?: string | null;
  scores?: Partial<SafetyScores> | null;
}

/**
 * Files a report and tells its reviewers at once (REPORT_CREATE to the server's moderators and
 * the instance's admins; never to the reported person). The one way reports are made: POST
 * /reports after its checks, and the safety policy for the classifier's reports (reporterId
 * null, with scores), so both reach the live queue the same way. Visibility and de-duplication
 * are the caller's. Inside a transaction, use insertReport, then announceReport once committed.
 */
export async function createReport(ctx: Pick<AppContext, 'db' | 'ids' | 'clock' | 'events'>, report: NewReport): Promise<Report> {
  const created = await insertReport(ctx, ctx.db, report);
  await announceReport(ctx, created.id);
  return created;
}

/**
 * Stores a report (`db` may be the caller's transaction); nobody hears of it until
 * announceReport is called after the commit.
 */
export async function insertReport(ctx: Pick<AppContext, 'ids' | 'clock'>, db: Kysely<Tables>, report: NewReport & { id?: Snowflake }): Promise<Report> {
  const row: ReportRow = {
    id: report.id ?? ctx.ids.next(),
    reporter_id: report.reporterId,
    category: report.category,
    user_id: report.userId,
    message_id: report.messageId,
    channel_id: report.channelId,
    guild_id: report.guildId,
    note: report.note || null,
    content: report.content ?? null,
    scores: report.scores ? JSON.stringify(report.scores) : null,
    status: 'open',
    resolved_by: null,
    resolution: null,
    resolution_reason: null,
    resolved_at: null,
    created_at: ctx.clock.now(),
  };
  await db.insertInto('reports').values(row).execute();
  return toReport(row);
}

/**
 * REPORT_CREATE to whoever may review a stored report (its server's moderators and the
 * instance's admins, never the reported person): the live queue.
 */
export async function announceReport(ctx: Pick<AppContext, 'db' | 'clock' | 'events'>, reportId: Snowflake): Promise<void> {
  const row = await ctx.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirst();
  if (!row) return;
  await ctx.events.publish(event('REPORT_CREATE', toReport(row), { users: await reportReviewers(ctx.db, row, ctx.clock.now()) }));
}

/** The actions taken on a report, in order (kept in `resolution`, comma-separated). */
export function actionsOf(row: Pick<ReportRow, 'resolution'>): ReportAction[] {
  return row.resolution ? (row.resolution.split(',') as ReportAction[]) : [];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A report as its reviewers see it. */
export function toReport(row: ReportRow): Report {
  return {
    id: row.id,
    category: row.category as ReportCategory,
    status: row.status as ReportStatus,
    reporter_id: row.reporter_id,
    user_id: row.user_id,
    message_id: row.message_id,
    channel_id: row.channel_id,
    guild_id: row.guild_id,
    note: row.note,
    content: row.content,
    scores: row.scores ? (JSON.parse(row.scores) as Report['scores']) : null,
    actions: actionsOf(row),
    resolved_by: row.resolved_by,
    resolution_reason: row.resolution_reason,
    resolved_at: iso(row.resolved_at),
    created_at: iso(row.created_at)!,
  };
}

/** A report as its reporter sees it: handled or not, never by whom or how. */
export function toOwnReport(row: ReportRow): OwnReport {
  return {
    id: row.id,
    category: row.category as ReportCategory,
    status: row.status as ReportStatus,
    outcome: row.status === 'open' ? 'pending' : row.status === 'dismissed' ? 'no_action' : 'action_taken',
    message_id: row.message_id,
    channel_id: row.channel_id,
    user_id: row.user_id,
    content: row.content,
    created_at: iso(row.created_at)!,
    resolved_at: iso(row.resolved_at),
  };
}
