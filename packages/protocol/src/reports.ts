import { z } from 'zod';
import { Snowflake } from './ids';
import { ReportCategory, ReportStatus, SafetyLabel } from './safety';

/*
 * Reports (features/reports): anyone signed in (people and guests, not bots) reports a message
 * they can see or a person; the report reaches that server's moderators (Manage Messages or
 * Kick Members) and the instance's admins, or, for DMs and people, the admins alone. The
 * reported person is never told, and never sees who reported them. Reviewers act from a queue;
 * the reporter learns only that it was handled: "action taken" or "no action".
 */

/** What a reviewer does with a report. `dismiss` closes it with no action; the others act, then resolve it. */
export const ReportAction = z.enum(['dismiss', 'delete', 'timeout', 'kick', 'ban', 'suspend']);
export type ReportAction = z.infer<typeof ReportAction>;

/** What the reporter is told: nothing about who handled it, or how. */
export const ReportOutcome = z.enum(['pending', 'action_taken', 'no_action']);
export type ReportOutcome = z.infer<typeof ReportOutcome>;

/** A report as its reviewers see it (the queue, REPORT_CREATE / REPORT_UPDATE). */
export const Report = z.object({
  id: Snowflake,
  category: ReportCategory,
  status: ReportStatus,
  /** Null: the instance's classifier filed it. */
  reporter_id: Snowflake.nullable(),
  /** The reported person. */
  user_id: Snowflake.nullable(),
  message_id: Snowflake.nullable(),
  channel_id: Snowflake.nullable(),
  /** Null: a DM or a person, for instance admins only. */
  guild_id: Snowflake.nullable(),
  note: z.string().nullable(),
  /** The message's text when it was reported (it may have been edited or deleted since). */
  content: z.string().nullable(),
  /** The classifier's scores, for its reports (the labels it scored). */
  scores: z.partialRecord(SafetyLabel, z.number().min(0).max(1)).nullable(),
  /** The actions taken, in order (`dismiss` alone when dismissed). */
  actions: z.array(ReportAction),
  resolved_by: Snowflake.nullable(),
  resolution_reason: z.string().nullable(),
  resolved_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
});
export type Report = z.infer<typeof Report>;

/** A report as its reporter sees it (GET /reports/mine, OWN_REPORT_UPDATE): never who handled it, or how. */
export const OwnReport = z.object({
  id: Snowflake,
  category: ReportCategory,
  status: ReportStatus,
  outcome: ReportOutcome,
  message_id: Snowflake.nullable(),
  channel_id: Snowflake.nullable(),
  user_id: Snowflake.nullable(),
  /** The text they reported. */
  content: z.string().nullable(),
  created_at: z.iso.datetime(),
  resolved_at: z.iso.datetime().nullable(),
});
export type OwnReport = z.infer<typeof OwnReport>;
