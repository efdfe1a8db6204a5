import type { ReportCategory, SafetyLabel, SafetyScores, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../context';
import type { MessageRow, Tables } from '../../db/tables';
import { insertReport } from '../reports/reports';

/** What a report about a flagged message is filed as, from its top label. */
const CATEGORY: Record<SafetyLabel, ReportCategory> = {
  harassment: 'harassment',
  sexual_harassment: 'harassment',
  grooming: 'child_sexual_content',
  threat: 'threat',
  hate: 'harassment',
};

/**
 * The classifier's report for the instance's admins: `reporter_id` null, the category from the
 * top label, the message as sent and its scores, stored inside the flagged message's
 * transaction; `deliveries` announces it to the live review queue once it is committed.
 */
export async function insertClassifierReport(
  ctx: Pick<AppContext, 'clock' | 'ids'>,
  trx: Kysely<Tables>,
  report: { id: Snowflake; message: MessageRow; labels: SafetyLabel[]; scores: SafetyScores },
): Promise<void> {
  await insertReport(ctx, trx, {
    id: report.id,
    reporterId: null,
    category: CATEGORY[report.labels[0]!],
    userId: report.message.author_id,
    messageId: report.message.id,
    channelId: report.message.channel_id,
    guildId: report.message.guild_id,
    note: `Flagged by the classifier: ${report.labels.join(', ')}`,
    content: report.message.content,
    scores: report.scores,
  });
}
