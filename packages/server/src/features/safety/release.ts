import type { Snowflake } from '@parley/protocol';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';
import { channelAudience } from '../../access/audience';
import { isThread } from '../../access/channel-kinds';
import { recordInstanceAudit } from '../instance-audit/record';
import type { AttachmentUrls } from '../messages/attachment-urls';
import { loadMessages } from '../messages/serialize';

/**
 * Releases a held message (an appeal lifted, or, for features/reports, a classifier report
 * dismissed): everyone who may read its channel, minors too, receives it in full as a
 * MESSAGE_UPDATE, and history shows it. Audited `message_released`. Nothing happens if it was
 * not held (or was released already).
 */
export async function releaseHeldMessage(ctx: AppContext, urls: AttachmentUrls, messageId: Snowflake, adminId: Snowflake): Promise<void> {
  const { db } = ctx;
  const released = await db
    .updateTable('safety_holds')
    .set({ released_at: ctx.clock.now(), released_by_id: adminId })
    .where('message_id', '=', messageId)
    .where('released_at', 'is', null)
    .executeTakeFirst();
  if (!released.numUpdatedRows) return;
  await recordInstanceAudit(ctx, db, { actorId: adminId, action: 'message_released', target: { type: 'message', id: messageId } });
  const row = await db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  if (!row) return;
  const channel = await db.selectFrom('channels').selectAll().where('id', '=', row.channel_id).executeTakeFirstOrThrow();
  const parent = isThread(channel.type) && channel.parent_id ? ((await db.selectFrom('channels').selectAll().where('id', '=', channel.parent_id).executeTakeFirst()) ?? null) : null;
  const [message] = await loadMessages(db, [row], null, urls);
  await ctx.events.publish(event('MESSAGE_UPDATE', message!, await channelAudience(db, channel, parent)));
}
