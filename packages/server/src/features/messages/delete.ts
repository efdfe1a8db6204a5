import { AuditLogEvent, type Snowflake } from '@parley/protocol';
import type { ChannelAccess } from '../../access/access';
import { recordAudit } from '../audit-log/record';
import type { AppContext } from '../../context';
import type { ChannelRow, MessageRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { channelAudience } from '../../access/audience';
import { attachmentPrefix } from './attachments';

/**
 * The one way messages are deleted (one by its author or a moderator, a bulk delete, a ban's
 * clean-up): the rows go (their reactions, mentions, embeds and nonces with them, by cascade),
 * then their attachments' files, and the channel's audience hears MESSAGE_DELETE, or one
 * MESSAGE_DELETE_BULK with `bulk` (bulk deletes and bans, whatever the count). A thread
 * started from a message stays, as in Discord. `ids` must be messages of `channel` (others are
 * left alone); answers the IDs deleted.
 */
export async function deleteMessages(
  ctx: Pick<AppContext, 'db' | 'files' | 'events'>,
  channel: ChannelRow,
  parent: ChannelRow | null,
  ids: readonly Snowflake[],
  options: { bulk?: boolean } = {},
): Promise<Snowflake[]> {
  if (ids.length === 0) return [];
  const { db } = ctx;
  const { deleted, attachments } = await db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('messages')
      .select('id')
      .where('channel_id', '=', channel.id)
      .where('id', 'in', [...ids])
      .execute();
    const found = rows.map((r) => r.id);
    if (found.length === 0) return { deleted: [], attachments: [] };
    const files = await trx.selectFrom('attachments').select(['id', 'channel_id']).where('message_id', 'in', found).execute();
    await trx.deleteFrom('messages').where('id', 'in', found).execute();
    return { deleted: found, attachments: files };
  });
  if (deleted.length === 0) return [];
  for (const a of attachments) await ctx.files.deletePrefix(attachmentPrefix(a.channel_id, a.id));
  const guild = channel.guild_id ? { guild_id: channel.guild_id } : {};
  const audience = await channelAudience(db, channel, parent);
  await ctx.events.publish(
    options.bulk
      ? event('MESSAGE_DELETE_BULK', { ids: deleted, channel_id: channel.id, ...guild }, audience)
      : event('MESSAGE_DELETE', { id: deleted[0]!, channel_id: channel.id, ...guild }, audience),
  );
  return deleted;
}

/**
 * Deletes one message; a moderator's deletion of someone else's message (`moderator` given) is
 * on the guild's audit record, the author's own is not (as in Discord). Permission checks are
 * the caller's: DELETE /channels/:id/messages/:id and the report queue both come here.
 */
export async function deleteMessageOnRecord(
  ctx: Pick<AppContext, 'db' | 'files' | 'events' | 'ids'>,
  access: Pick<ChannelAccess, 'channel' | 'parent'>,
  row: Pick<MessageRow, 'id' | 'author_id' | 'channel_id' | 'guild_id'>,
  moderator: { actorId: Snowflake; reason: string | null } | null,
): Promise<void> {
  await deleteMessages(ctx, access.channel, access.parent, [row.id]);
  if (moderator && row.guild_id) {
    await recordAudit(ctx, ctx.db, {
      guildId: row.guild_id,
      userId: moderator.actorId,
      action: AuditLogEvent.MESSAGE_DELETE,
      targetId: row.author_id,
      options: { channel_id: row.channel_id, count: '1' },
      reason: moderator.reason,
    });
  }
}
