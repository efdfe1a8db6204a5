/**
 * The safety policy's API (blocks, appeals, decisions, the classify box). Imported as
 * `@parley/protocol/safety`, not through the package's index: the chat screen's initial bundle
 * (budgeted, see scripts/bundle-report.mjs) carries only SafetyBlock (./safety-policy), for
 * SAFETY_BLOCK_* events; the safety screens' lazy chunks carry these.
 */
import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits, text } from './limits';
import { defineRoute } from './route';
import { SafetyScores } from './safety';
import { SafetyAppeal, SafetyAppealStatus, SafetyBlock, SafetyLimits } from './safety-policy';
import { User } from './users';

/** An appeal as the admins' queue shows it: the block, the flagged message, who appealed and who may not decide. */
export const AdminSafetyAppeal = SafetyAppeal.extend({
  user: User,
  block: SafetyBlock.omit({ appeal: true }),
  /** The flagged message's text as sent (null if it was deleted since). */
  message_content: z.string().nullable(),
  /** Admins who acted on this block or its report: they may not decide the appeal. */
  acted_by: z.array(Snowflake),
  decided_by: Snowflake.nullable(),
});
export type AdminSafetyAppeal = z.infer<typeof AdminSafetyAppeal>;

export const CreateSafetyAppealBody = z.object({
  block_id: Snowflake,
  text: text(SafetyLimits.appealTextMax).refine((s) => s.trim().length > 0, 'Write why the block should be lifted'),
});

export const SafetyAppealDecisionBody = z.object({
  outcome: z.enum(['uphold', 'lift']),
  /** The person reads it. */
  note: text(SafetyLimits.appealNoteMax).refine((s) => s.trim().length > 0, 'Write a note for the person'),
});

export const ConfirmSafetyBlockBody = z.object({ note: text(SafetyLimits.appealNoteMax).optional() });

export const ClassifyBody = z.object({ content: text(Limits.messageContentMax).refine((s) => s.trim().length > 0, 'Must not be empty') });
export const ClassifyResult = z.object({
  /** Some label reached the instance's flag threshold. */
  flagged: z.boolean(),
  labels: SafetyScores,
  flag_threshold: z.number(),
  block_threshold: z.number(),
});
export type ClassifyResult = z.infer<typeof ClassifyResult>;

export const safetyRoutes = {
  myBlocks: defineRoute({
    method: 'GET',
    path: '/safety/blocks/mine',
    summary: 'Your safety blocks: active ones, and those lifted in the last 30 days, each with its reason and appeal',
    tag: 'Safety',
    auth: 'person',
    response: z.array(SafetyBlock),
  }),
  appeal: defineRoute({
    method: 'POST',
    path: '/safety/appeals',
    summary: 'Appeal a safety block (once per block); an instance admin who did not act on it decides',
    tag: 'Safety',
    auth: 'person',
    body: CreateSafetyAppealBody,
    response: SafetyAppeal,
  }),
  listAppeals: defineRoute({
    method: 'GET',
    path: '/admin/appeals',
    summary: 'Appeals against safety blocks, oldest first',
    tag: 'Admin',
    auth: 'admin',
    query: z.object({
      status: SafetyAppealStatus.default('pending'),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
    response: z.array(AdminSafetyAppeal),
  }),
  decideAppeal: defineRoute({
    method: 'POST',
    path: '/admin/appeals/:appeal_id/decision',
    summary: 'Decide an appeal: uphold the block, or lift it and release the message (not by an admin who acted on it)',
    tag: 'Admin',
    auth: 'admin',
    params: z.object({ appeal_id: Snowflake }),
    body: SafetyAppealDecisionBody,
    response: AdminSafetyAppeal,
  }),
  confirmBlock: defineRoute({
    method: 'POST',
    path: '/admin/safety/blocks/:block_id/confirm',
    summary: 'Confirm a safety block after review (the confirming admin may not decide its appeal)',
    tag: 'Admin',
    auth: 'admin',
    params: z.object({ block_id: Snowflake }),
    body: ConfirmSafetyBlockBody,
    response: SafetyBlock,
  }),
  classify: defineRoute({
    method: 'POST',
    path: '/admin/safety/classify',
    summary: "Score a text with the instance's classifier (test the filter)",
    tag: 'Admin',
    auth: 'admin',
    body: ClassifyBody,
    response: ClassifyResult,
  }),
};
