import { Permissions, type ReportAction, type Snowflake } from '@parley/protocol';
import { type ReportActionRecord, type ReportDetail, reportRoutes as reportApi } from '@parley/protocol/reports';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { guildAccess } from '../../access/access';
import { type ReviewScope, mayReview, reportableMessage, reviewScope, reviewableChannel } from '../../access/reports';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import type { MessageRow, Tables, UserRow } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { listInstanceAudit } from '../instance-audit/record';
import { AttachmentUrls } from '../messages/attachment-urls';
import { loadMessages } from '../messages/serialize';
import { getUserOrThrow, usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { revealedContent } from '../e2ee/franking';
import { actOnReport } from './actions';
import { type ReportRow, createReport, toOwnReport, toReport } from './reports';

/** Reports a person may file in a window: enough for a bad evening, not for flooding the queue. */
const REPORTS_PER_WINDOW = 10;
const REPORT_WINDOW_SECONDS = 600;
/** Messages shown on each side of a reported one. */
const CONTEXT_EACH_SIDE = 5;
/** Earlier reports about the same person listed with a report (all are counted). */
const EARLIER_REPORTS_SHOWN = 20;

/**
 * Reports and the review queue (protocol/reports.ts). Who may report what and who reviews
 * which report is decided by access/reports.ts; acting goes through the moderation functions
 * the hand-made actions use (actions.ts).
 */
export function reportRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  const urls = new AttachmentUrls(db, ctx.clock, ctx.config.publicUrl ?? '');
  const limiter = ctx.limiters({ keyPrefix: 'reports', points: REPORTS_PER_WINDOW, duration: REPORT_WINDOW_SECONDS });

  route(reportApi.create, async ({ auth, body }) => {
    const now = ctx.clock.now();
    const me = auth.user.id;
    let target: { userId: Snowflake; messageId: Snowflake | null; channelId: Snowflake | null; guildId: Snowflake | null; content: string | null };
    if (body.message_id !== undefined) {
      const { message } = await reportableMessage(db, me, body.message_id, body.channel_id, now);
      if (message.author_id === me) throw fieldError('message_id', 'REPORT_SELF', 'You cannot report your own message');
      if (body.user_id !== undefined && body.user_id !== message.author_id) throw fieldError('user_id', 'REPORT_MISMATCH', 'This is not who wrote that message');
      target = { userId: message.author_id, messageId: message.id, channelId: message.channel_id, guildId: message.guild_id, content: revealedContent(message, body.reveal) };
    } else {
      const user = await getUserOrThrow(db, body.user_id!);
      if (user.id === me) throw fieldError('user_id', 'REPORT_SELF', 'You cannot report yourself');
      target = { userId: user.id, messageId: null, channelId: null, guildId: null, content: null };
    }
    // The same message reported again by the same person (or the same person, still under review) gets the existing report.
    let existing = db.selectFrom('reports').selectAll().where('reporter_id', '=', me);
    existing = target.messageId ? existing.where('message_id', '=', target.messageId) : existing.where('message_id', 'is', null).where('user_id', '=', target.userId).where('status', '=', 'open');
    const found = await existing.orderBy('id', 'desc').executeTakeFirst();
    if (found) return toReport(found);
    await consumeOrThrow(limiter, me);
    return createReport(ctx, { reporterId: me, category: body.category, note: body.note ?? null, ...target });
  });

  route(reportApi.listMine, async ({ auth, query }) => {
    let select = db.selectFrom('reports').selectAll().where('reporter_id', '=', auth.user.id);
    if (query.before) select = select.where('id', '<', query.before);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toOwnReport);
  });

  route(reportApi.list, async ({ auth, query }) => {
    const scope = await reviewScope(db, auth.user, ctx.clock.now());
    let select = reviewable(db, scope);
    if (!select) return [];
    if (query.status) select = select.where('status', '=', query.status);
    if (query.guild_id) select = select.where('guild_id', '=', query.guild_id);
    if (query.before) select = select.where('id', '<', query.before);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toReport);
  });

  route(reportApi.get, async ({ auth, params }) => {
    const now = ctx.clock.now();
    const scope = await reviewScope(db, auth.user, now);
    const row = await reportFor(db, scope, params.report_id);
    const [message, users, earlier, history, guild] = await Promise.all([
      row.message_id ? db.selectFrom('messages').selectAll().where('id', '=', row.message_id).executeTakeFirst() : undefined,
      usersByIds(
        db,
        [row.reporter_id, row.user_id].filter((id): id is Snowflake => id !== null),
      ),
      earlierReports(db, scope, row),
      historyOf(ctx, row.id),
      row.guild_id ? db.selectFrom('guilds').select('name').where('id', '=', row.guild_id).executeTakeFirst() : undefined,
    ]);
    const where = row.channel_id ? await reviewableChannel(db, scope, row.channel_id, now) : null;
    let shown: ReportDetail['message'] = null;
    let context: ReportDetail['context'] = null;
    if (where && message) {
      const before = await db.selectFrom('messages').selectAll().where('channel_id', '=', message.channel_id).where('id', '<', message.id).orderBy('id', 'desc').limit(CONTEXT_EACH_SIDE).execute();
      const after = await db.selectFrom('messages').selectAll().where('channel_id', '=', message.channel_id).where('id', '>', message.id).orderBy('id', 'asc').limit(CONTEXT_EACH_SIDE).execute();
      context = await loadMessages(db, [...before.reverse(), message, ...after], auth.user.id, urls);
      shown = context.find((m) => m.id === message.id) ?? null;
    }
    const channelName = row.channel_id ? ((await db.selectFrom('channels').select('name').where('id', '=', row.channel_id).executeTakeFirst())?.name ?? null) : null;
    const person = (id: Snowflake | null) => (id && users.has(id) ? toUser(users.get(id)!) : null);
    return {
      report: toReport(row),
      message: shown,
      message_deleted: row.message_id !== null && !message,
      context,
      reporter: person(row.reporter_id),
      reported: person(row.user_id),
      earlier_reports: earlier,
      history,
      available_actions: await availableActions(ctx, auth.user, scope, row, message ?? null),
      guild_name: guild?.name ?? null,
      channel_name: channelName,
    };
  });

  route(reportApi.act, async ({ auth, params, body }) => {
    const scope = await reviewScope(db, auth.user, ctx.clock.now());
    const row = await reportFor(db, scope, params.report_id);
    return actOnReport(ctx, auth.user, row, body);
  });
}

/** The reports this reviewer may see, as a query to narrow further; null when there are none. */
function reviewable(db: Kysely<Tables>, scope: ReviewScope) {
  if (!scope.admin && scope.guildIds.length === 0) return null;
  let select = db
    .selectFrom('reports')
    .selectAll()
    .where((eb) => eb.or([eb('user_id', 'is', null), eb('user_id', '!=', scope.userId)]));
  if (!scope.admin) select = select.where('guild_id', 'in', scope.guildIds);
  return select;
}

/** A report this reviewer may see, or "unknown report" (whether it exists or not). */
async function reportFor(db: Kysely<Tables>, scope: ReviewScope, reportId: Snowflake): Promise<ReportRow> {
  const row = await db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirst();
  if (!row || !mayReview(scope, row)) throw new ApiError('UNKNOWN_REPORT');
  return row;
}

/** Other reports about the same person, among those this reviewer may see. */
async function earlierReports(db: Kysely<Tables>, scope: ReviewScope, row: ReportRow): Promise<ReportDetail['earlier_reports']> {
  const select = row.user_id ? reviewable(db, scope) : null;
  if (!select || !row.user_id) return { count: 0, reports: [] };
  const about = select.where('user_id', '=', row.user_id).where('id', '!=', row.id);
  const [rows, count] = await Promise.all([
    about.orderBy('id', 'desc').limit(EARLIER_REPORTS_SHOWN).execute(),
    about
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow(),
  ]);
  return { count: Number(count.count), reports: rows.map(toReport) };
}

/** What was done about a report, oldest first, from the instance audit log. */
async function historyOf(ctx: AppContext, reportId: Snowflake): Promise<ReportActionRecord[]> {
  const entries = await listInstanceAudit(ctx, { limit: 100, action: 'report_resolve', target: { type: 'report', id: reportId } });
  const actors = await usersByIds(
    ctx.db,
    entries.flatMap((e) => (e.actor_id ? [e.actor_id] : [])),
  );
  return entries
    .reverse()
    .map((e) => ({ action: e.details?.action as ReportAction, actor: e.actor_id && actors.has(e.actor_id) ? toUser(actors.get(e.actor_id)!) : null, reason: e.reason, created_at: e.created_at }));
}

/** The actions this reviewer's own permissions allow on this report (each is checked again when taken). */
async function availableActions(ctx: AppContext, user: UserRow, scope: ReviewScope, row: ReportRow, message: MessageRow | null): Promise<ReportAction[]> {
  const now = ctx.clock.now();
  const actions: ReportAction[] = [];
  if (row.status === 'open') actions.push('dismiss');
  if (message) {
    const where = await reviewableChannel(ctx.db, scope, message.channel_id, now);
    const mayDelete = scope.admin || (where?.access?.guild && (where.access.permissions & Permissions.MANAGE_MESSAGES) !== 0n);
    if (mayDelete) actions.push('delete');
  }
  if (row.guild_id && row.user_id) {
    const access = await guildAccess(ctx.db, row.guild_id, user.id, now).catch(() => null);
    if (access) {
      const isMember = await ctx.db.selectFrom('members').select('user_id').where('guild_id', '=', row.guild_id).where('user_id', '=', row.user_id).executeTakeFirst();
      const holds = (bit: bigint) => (access.permissions & bit) === bit;
      if (isMember && holds(Permissions.MODERATE_MEMBERS)) actions.push('timeout');
      if (isMember && holds(Permissions.KICK_MEMBERS)) actions.push('kick');
      if (holds(Permissions.BAN_MEMBERS)) actions.push('ban');
    }
  }
  if (scope.admin && row.user_id && row.user_id !== user.id) {
    const target = await ctx.db.selectFrom('users').select('disabled_at').where('id', '=', row.user_id).executeTakeFirst();
    if (target && target.disabled_at === null) actions.push('suspend');
  }
  return actions;
}
