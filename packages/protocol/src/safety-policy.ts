import { z } from 'zod';
import { Snowflake } from './ids';
import { SafetyLabel, SafetyScores } from './safety';

/**
 * What happens when the offline classifier flags a message (features/safety, docs/safety-policy.md):
 * the message is held from minors, reported to the instance's admins, and above the block
 * threshold the sender is blocked from that person (DM) or room (channel) until review. The
 * person sees every step and may appeal once per block; an admin who did not act on it decides.
 */

/** Sizes of what people write in an appeal and its decision. */
export const SafetyLimits = { appealTextMax: 2000, appealNoteMax: 1000 } as const;

/** pending: waiting for an admin; upheld: the block stays; lifted: the block is lifted and the message released. */
export const SafetyAppealStatus = z.enum(['pending', 'upheld', 'lifted']);
export type SafetyAppealStatus = z.infer<typeof SafetyAppealStatus>;

export const SafetyAppeal = z.object({
  id: Snowflake,
  block_id: Snowflake,
  user_id: Snowflake,
  /** What the person wrote. */
  text: z.string(),
  status: SafetyAppealStatus,
  /** The deciding admin's note to the person (null while pending). */
  note: z.string().nullable(),
  created_at: z.iso.datetime(),
  decided_at: z.iso.datetime().nullable(),
});
export type SafetyAppeal = z.infer<typeof SafetyAppeal>;

/**
 * A block the classifier placed on its sender: no messages to `target_user_id` (a DM) or in
 * `channel_id` (a group DM or a server channel) until an admin lifts it.
 */
export const SafetyBlock = z.object({
  id: Snowflake,
  user_id: Snowflake,
  /** Where the flagged message was sent: sends there are refused (SAFETY_BLOCKED). */
  channel_id: Snowflake,
  /** A DM's other person: every DM with them is refused too; null for rooms. */
  target_user_id: Snowflake.nullable(),
  guild_id: Snowflake.nullable(),
  message_id: Snowflake,
  report_id: Snowflake,
  /** The labels at or above the flag threshold, highest first. */
  labels: z.array(SafetyLabel),
  scores: SafetyScores,
  /** The sentence the person is shown: what is blocked, why and how to appeal. */
  reason: z.string(),
  created_at: z.iso.datetime(),
  /** Set once an admin lifts it (on appeal). */
  lifted_at: z.iso.datetime().nullable(),
  appeal: SafetyAppeal.nullable(),
});
export type SafetyBlock = z.infer<typeof SafetyBlock>;
