import type { SafetyAppeal, SafetyAppealStatus, SafetyBlock, SafetyLabel, SafetyScores, Snowflake } from '@parley/protocol';
import { type Kysely, sql } from 'kysely';
import type { SafetyAppealRow, SafetyBlockRow, Tables } from '../../db/tables';

const iso = (millis: number) => new Date(millis).toISOString();

/** Readable label names for the sentences people are shown. */
const LABEL_NAMES: Record<SafetyLabel, string> = {
  harassment: 'harassment',
  sexual_harassment: 'sexual harassment',
  grooming: 'grooming',
  threat: 'a threat',
  hate: 'hate',
};

/** The sentence a blocked person is shown (and SAFETY_BLOCKED answers with): what, why, how to appeal. */
export function blockReason(block: Pick<SafetyBlockRow, 'id' | 'labels' | 'target_user_id'>): string {
  const labels = (JSON.parse(block.labels) as SafetyLabel[]).map((l) => LABEL_NAMES[l]);
  const where = block.target_user_id ? 'this person' : 'this conversation';
  return (
    `You are blocked from messaging ${where} until an administrator reviews a message of yours that the safety filter flagged as ${labels.join(', ')}. ` +
    `If it was a mistake, appeal: use "Appeal" above the message box (or POST /api/v10/safety/appeals with block_id ${block.id}); an administrator who did not act on it decides.`
  );
}

export function toAppeal(row: SafetyAppealRow): SafetyAppeal {
  return {
    id: row.id,
    block_id: row.block_id,
    user_id: row.user_id,
    text: row.text,
    status: row.status as SafetyAppealStatus,
    note: row.note,
    created_at: iso(row.created_at),
    decided_at: row.decided_at === null ? null : iso(row.decided_at),
  };
}

export function toBlock(row: SafetyBlockRow, appeal: SafetyAppealRow | null): SafetyBlock {
  return {
    id: row.id,
    user_id: row.user_id,
    channel_id: row.channel_id,
    target_user_id: row.target_user_id,
    guild_id: row.guild_id,
    message_id: row.message_id,
    report_id: row.report_id,
    labels: JSON.parse(row.labels) as SafetyLabel[],
    scores: JSON.parse(row.scores) as SafetyScores,
    reason: blockReason(row),
    created_at: iso(row.created_at),
    lifted_at: row.lifted_at === null ? null : iso(row.lifted_at),
    appeal: appeal ? toAppeal(appeal) : null,
  };
}

/** One block with its appeal, as its person sees it. */
export async function loadBlock(db: Kysely<Tables>, id: Snowflake): Promise<SafetyBlock | null> {
  const row = await db.selectFrom('safety_blocks').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const appeal = await db.selectFrom('safety_appeals').selectAll().where('block_id', '=', id).executeTakeFirst();
  return toBlock(row, appeal ?? null);
}

/**
 * Who acted on a block (and so may not decide its appeal): the admin who confirmed it, whoever
 * resolved its report, and any admin the instance audit log names acting on that report.
 */
export async function actedOn(db: Kysely<Tables>, block: SafetyBlockRow): Promise<Snowflake[]> {
  const [report, audited] = await Promise.all([
    // Cast: the foundation named it `resolved_by` (not `*_id`), which the integer normaliser would turn into a lossy number.
    db
      .selectFrom('reports')
      .select(sql<string | null>`cast(resolved_by as text)`.as('resolved_by'))
      .where('id', '=', block.report_id)
      .executeTakeFirst(),
    db.selectFrom('instance_audit_log').select('actor_id').where('target_type', '=', 'report').where('target_id', '=', block.report_id).where('actor_id', 'is not', null).execute(),
  ]);
  const ids = [block.confirmed_by_id, report?.resolved_by ?? null, ...audited.map((a) => a.actor_id)];
  return [...new Set(ids.filter((id): id is Snowflake => id !== null))];
}
