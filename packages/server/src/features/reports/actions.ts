import { Permissions, type Report } from '@parley/protocol';
import { type ReportActionBody } from '@parley/protocol/reports';
import { type GuildAccess, channelAccess, guildAccess, requireContentPermission } from '../../access/access';
import { isThread } from '../../access/channel-kinds';
import { reportReviewers } from '../../access/reports';
import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { type OutgoingEvent, event } from '../../events/publisher';
import { ApiError, fieldError } from '../../http/errors';
import { setAccountDisabled } from '../accounts/disable';
import { kickMember } from '../guilds/membership';
import { recordInstanceAudit } from '../instance-audit/record';
import { deleteMessageOnRecord } from '../messages/delete';
import { banUser } from '../moderation/bans';
import { timeoutMember } from '../moderation/members';
import { type ReportRow, actionsOf, toOwnReport, toReport } from './reports';

/**
 * Acts on a report the reviewer may see (the caller checked), then marks it: `dismiss` closes an
 * open report with no action; any other action is done with the reviewer's own permissions
 * through the same functions as by hand (so the guild audit log and gateway events are the same),
 * and resolves it. Every action goes into the instance audit log with who and why; reviewers
 * hear REPORT_UPDATE; the reporter, when the report is first handled, OWN_REPORT_UPDATE.
 */
export async function actOnReport(ctx: AppContext, reviewer: UserRow, row: ReportRow, body: ReportActionBody): Promise<Report> {
  const { db } = ctx;
  const now = ctx.clock.now();
  const { action, reason } = body;
  const target = row.user_id;
  const inGuild = async (): Promise<GuildAccess> => {
    if (!row.guild_id || !target) throw fieldError('action', 'REPORT_NOT_IN_SERVER', 'This report is not about a server: time out, kick and ban are for server reports');
    // An instance admin who is not in that server holds no permission there.
    return guildAccess(db, row.guild_id, reviewer.id, now).catch((error: unknown) => {
      throw error instanceof ApiError ? new ApiError('MISSING_PERMISSIONS') : error;
    });
  };

  switch (action) {
    case 'dismiss':
      if (row.status !== 'open') throw fieldError('action', 'REPORT_HANDLED', 'This report was already handled');
      break;
    case 'delete':
      await deleteReported(ctx, reviewer, row, reason, now);
      break;
    case 'timeout':
      await timeoutMember(ctx, await inGuild(), reviewer.id, target!, new Date(now + body.duration_seconds! * 1000).toISOString(), reason);
      break;
    case 'kick':
      await kickMember(ctx, await inGuild(), reviewer.id, target!, reason);
      break;
    case 'ban':
      await banUser(ctx, await inGuild(), reviewer.id, target!, { deleteMessageSeconds: body.delete_message_seconds ?? 0, reason });
      break;
    case 'suspend':
      if (!reviewer.admin) throw new ApiError('MISSING_PERMISSIONS');
      if (!target) throw fieldError('action', 'REPORT_NO_PERSON', 'This report names nobody to suspend');
      if (target === reviewer.id) throw new ApiError('MISSING_PERMISSIONS');
      await setAccountDisabled(ctx, target, true);
      break;
  }

  const wasOpen = row.status === 'open';
  const updated: ReportRow = {
    ...row,
    status: action === 'dismiss' ? 'dismissed' : 'resolved',
    resolution: [...actionsOf(row), action].join(','),
    resolved_by: reviewer.id,
    resolution_reason: reason,
    resolved_at: now,
  };
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('reports')
      .set({ status: updated.status, resolution: updated.resolution, resolved_by: updated.resolved_by, resolution_reason: reason, resolved_at: now })
      .where('id', '=', row.id)
      .execute();
    await recordInstanceAudit(ctx, trx, {
      actorId: reviewer.id,
      action: 'report_resolve',
      target: { type: 'report', id: row.id },
      reason,
      details: {
        action,
        ...(row.guild_id && { guild_id: row.guild_id }),
        ...(target && { user_id: target }),
        ...(row.message_id && { message_id: row.message_id }),
        ...(body.duration_seconds && { duration_seconds: body.duration_seconds }),
      },
    });
  });
  const report = toReport(updated);
  const events: OutgoingEvent[] = [event('REPORT_UPDATE', report, { users: await reportReviewers(db, row, now) })];
  // The reporter learns it was handled, once: whether action was taken, never by whom or how.
  if (wasOpen && row.reporter_id) events.push(event('OWN_REPORT_UPDATE', toOwnReport(updated), { users: [row.reporter_id] }));
  await ctx.events.publish(...events);
  return report;
}

/**
 * Deletes the reported message: with Manage Messages in its channel as anywhere, or as an
 * instance admin (DMs included, which only they review). A moderator's deletion is on the
 * server's audit record as when done by hand.
 */
async function deleteReported(ctx: AppContext, reviewer: UserRow, row: ReportRow, reason: string, now: number): Promise<void> {
  const { db } = ctx;
  const message = row.message_id ? await db.selectFrom('messages').select(['id', 'author_id', 'channel_id', 'guild_id']).where('id', '=', row.message_id).executeTakeFirst() : undefined;
  if (!message) throw new ApiError('UNKNOWN_MESSAGE');
  const access = await channelAccess(db, message.channel_id, reviewer.id, now).catch((error: unknown) => {
    if (error instanceof ApiError) return null;
    throw error;
  });
  if (access?.guild) {
    try {
      requireContentPermission(access, Permissions.MANAGE_MESSAGES);
      await deleteMessageOnRecord(ctx, access, message, { actorId: reviewer.id, reason });
      return;
    } catch (error) {
      if (!reviewer.admin) throw error;
    }
  }
  if (!reviewer.admin) throw new ApiError('MISSING_PERMISSIONS');
  const channel = await db.selectFrom('channels').selectAll().where('id', '=', message.channel_id).executeTakeFirstOrThrow();
  const parent = isThread(channel.type) && channel.parent_id ? ((await db.selectFrom('channels').selectAll().where('id', '=', channel.parent_id).executeTakeFirst()) ?? null) : null;
  await deleteMessageOnRecord(ctx, { channel, parent }, message, { actorId: reviewer.id, reason });
}
