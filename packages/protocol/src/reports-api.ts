/**
 * The reports API (routes, bodies, the review detail). Imported as `@parley/protocol/reports`,
 * not through the package's index: the chat screen's initial bundle (budgeted, see
 * scripts/bundle-report.mjs) carries only the events' schemas (./reports), the report screens'
 * lazy chunks carry these.
 */
import { z } from 'zod';
import { MlsBytes } from './e2ee';
import { Snowflake } from './ids';
import { Limits, line, text } from './limits';
import { Message, MessageContent } from './messages';
import { defineRoute } from './route';
import { OwnReport, Report, ReportAction } from './reports';
import { ReportCategory, ReportStatus } from './safety';
import { User } from './users';

/**
 * POST /reports. A message (`message_id`, with its `channel_id` optionally, checked against it)
 * or a person (`user_id` alone). A message you cannot see is "unknown".
 */
export const CreateReportBody = z
  .object({
    category: ReportCategory,
    message_id: Snowflake.optional(),
    channel_id: Snowflake.optional(),
    user_id: Snowflake.optional(),
    note: text(Limits.reportNoteMax).trim().optional(),
    /** An end-to-end encrypted message: its text and franking key, which the server checks against the message's commitment. */
    reveal: z.object({ content: MessageContent, franking_key: MlsBytes(32) }).optional(),
  })
  .refine((b) => b.message_id !== undefined || b.user_id !== undefined, { message: 'Give message_id or user_id', path: ['message_id'] })
  .refine((b) => b.channel_id === undefined || b.message_id !== undefined, { message: 'Only with message_id', path: ['channel_id'] });
export type CreateReportBody = z.infer<typeof CreateReportBody>;

/** One action on the record of a report: who did what, why, and when. */
export const ReportActionRecord = z.object({
  action: ReportAction,
  /** Who did it (null: the instance itself). */
  actor: User.nullable(),
  reason: z.string().nullable(),
  created_at: z.iso.datetime(),
});
export type ReportActionRecord = z.infer<typeof ReportActionRecord>;

/** GET /reports/:id: the report with what a reviewer needs to decide. */
export const ReportDetail = z.object({
  report: Report,
  /** The message as it is now, when this reviewer may read its channel; null otherwise (the report's `content` keeps its text). */
  message: Message.nullable(),
  /** The reported message no longer exists. */
  message_deleted: z.boolean(),
  /**
   * A few messages before and after it, oldest first (the reported one included), when the
   * reviewer may read that channel (admins: a reported DM too); otherwise null.
   */
  context: z.array(Message).nullable(),
  reporter: User.nullable(),
  reported: User.nullable(),
  /** Other reports about the same person that this reviewer may see, newest first. */
  earlier_reports: z.object({ count: z.number().int(), reports: z.array(Report) }),
  /** What was done, and by whom, in order. */
  history: z.array(ReportActionRecord),
  /** The actions this reviewer could take here (their own permissions decide). */
  available_actions: z.array(ReportAction),
  /** The server's name, for a server's report. */
  guild_name: z.string().nullable(),
  /** The channel's name (null for DMs). */
  channel_name: z.string().nullable(),
});
export type ReportDetail = z.infer<typeof ReportDetail>;

export const ReportsQuery = z.object({
  /** Only reports in this state (all states when left out). */
  status: ReportStatus.optional(),
  /** Only this server's reports. */
  guild_id: Snowflake.optional(),
  /** Reports older than this one (paging back). */
  before: Snowflake.optional(),
  limit: z.coerce.number().int().min(1).max(Limits.reportsPageMax).default(50),
});
export type ReportsQuery = z.infer<typeof ReportsQuery>;

export const OwnReportsQuery = z.object({
  before: Snowflake.optional(),
  limit: z.coerce.number().int().min(1).max(Limits.reportsPageMax).default(50),
});

/**
 * POST /reports/:id/actions. `reason` is required: every action is on the record with who and
 * why. `duration_seconds` is a timeout's length (up to 28 days); `delete_message_seconds` a
 * ban's clean-up of recent messages (up to 7 days).
 */
export const ReportActionBody = z
  .object({
    action: ReportAction,
    reason: line(Limits.auditReasonMax, 1),
    duration_seconds: z
      .number()
      .int()
      .min(1)
      .max(Limits.timeoutMaxMs / 1000)
      .optional(),
    delete_message_seconds: z.number().int().min(0).max(Limits.banDeleteMessageSecondsMax).optional(),
  })
  .refine((b) => b.action !== 'timeout' || b.duration_seconds !== undefined, { message: 'Required for a timeout', path: ['duration_seconds'] })
  .refine((b) => b.action === 'timeout' || b.duration_seconds === undefined, { message: 'Only for a timeout', path: ['duration_seconds'] })
  .refine((b) => b.action === 'ban' || b.delete_message_seconds === undefined, { message: 'Only for a ban', path: ['delete_message_seconds'] });
export type ReportActionBody = z.infer<typeof ReportActionBody>;

const ReportParams = z.object({ report_id: Snowflake });

export const reportRoutes = {
  create: defineRoute({
    method: 'POST',
    path: '/reports',
    summary: 'Report a message you can see, or a person',
    tag: 'Reports',
    auth: 'person',
    body: CreateReportBody,
    created: true,
    response: Report.pick({ id: true, category: true, status: true, message_id: true, channel_id: true, user_id: true, guild_id: true, created_at: true }),
  }),
  listMine: defineRoute({
    method: 'GET',
    path: '/reports/mine',
    summary: 'Your reports and whether each was handled',
    tag: 'Reports',
    auth: 'person',
    query: OwnReportsQuery,
    response: z.array(OwnReport),
  }),
  list: defineRoute({
    method: 'GET',
    path: '/reports',
    summary: 'The reports you may review, newest first',
    tag: 'Reports',
    auth: 'person',
    query: ReportsQuery,
    response: z.array(Report),
  }),
  get: defineRoute({
    method: 'GET',
    path: '/reports/:report_id',
    summary: 'One report, with its context, for its reviewers',
    tag: 'Reports',
    auth: 'person',
    params: ReportParams,
    response: ReportDetail,
  }),
  act: defineRoute({
    method: 'POST',
    path: '/reports/:report_id/actions',
    summary: 'Act on a report (your own permissions apply)',
    tag: 'Reports',
    auth: 'person',
    params: ReportParams,
    body: ReportActionBody,
    response: Report,
  }),
};
