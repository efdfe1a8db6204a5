import { type Message, MessageType, type Snowflake } from '@parley/protocol';
import type { EditWebhookMessageBody, ExecuteWebhookBody } from '@parley/protocol/webhooks';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { z } from 'zod';
import { sql } from 'kysely';
import { channelAudience, readersAmong, usersReached } from '../../access/audience';
import { requireWebhookTarget } from '../../access/webhooks';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import type { ChannelRow, MessageRow, WebhookRow } from '../../db/tables';
import { writeAsOneStatement } from '../../db/one-statement';
import { UNCACHED_COLUMNS_ONLY } from '../../db/write-observer';
import { ApiError } from '../../http/errors';
import type { AttachmentUrls } from '../messages/attachment-urls';
import { mentionsIn } from '../messages/message-mentions';
import { deleteMessages } from '../messages/delete';
import { loadMessages } from '../messages/serialize';

/** Discord's budget per webhook: 5 posts every 2 seconds (a 429 with retry_after beyond it). */
const POSTS_PER_WINDOW = 5;
const WINDOW_SECONDS = 2;

/**
 * Posting a message as a webhook: into its channel, authored by its bot user under the name the
 * post gives (or the webhook's), with its embeds. Mentions notify the channel's readers named;
 * @everyone and @here stay text (the webhook's maker may not hold Mention Everyone). Scanned by
 * the safety policy like anyone's message; refused in an end-to-end encrypted channel.
 */
export class WebhookPoster {
  private readonly perWebhook: RateLimiterAbstract;

  constructor(
    private readonly ctx: AppContext,
    private readonly urls: AttachmentUrls,
  ) {
    this.perWebhook = ctx.limiters({ keyPrefix: 'webhook', points: POSTS_PER_WINDOW, duration: WINDOW_SECONDS });
  }

  async post(webhook: WebhookRow, body: z.output<typeof ExecuteWebhookBody>): Promise<Message> {
    const { ctx } = this;
    const channel = await this.channelOf(webhook);
    await consumeOrThrow(this.perWebhook, webhook.id);
    const content = body.content ?? '';
    const flag = await ctx.safety.scan(channel, webhook.id, content);

    const mentions = await mentionsIn(ctx.db, channel, content, body.allowed_mentions, { canMentionEveryone: false, repliedUserId: null });
    // Who hears of it (cached per node): those it pings are among them, as for a person's send.
    const audience = await ctx.access.channelAudience(ctx.db, { channel, parent: null });
    const reached = await usersReached(ctx.db, audience, mentions.users);
    const mentioned = mentions.users.filter((userId) => reached.some((u) => u.id === userId));
    const id = ctx.ids.next();
    const row: MessageRow = {
      id,
      channel_id: channel.id,
      guild_id: channel.guild_id,
      author_id: webhook.id,
      content,
      type: MessageType.DEFAULT,
      flags: 0,
      reference_message_id: null,
      reference_channel_id: null,
      mention_everyone: 0,
      mention_roles: JSON.stringify(mentions.roles),
      pinned_at: null,
      edited_at: null,
      has_attachments: 0,
      has_images: 0,
      encrypted: null,
      webhook_id: webhook.id,
      author_name: body.username ?? webhook.name,
      embeds: body.embeds?.length ? JSON.stringify(body.embeds) : null,
      file_offer: null,
    };
    const mentionRows = mentioned.map((user_id) => ({ message_id: id, user_id, channel_id: channel.id }));
    const writes = [
      ctx.db.insertInto('messages').values(row),
      ...(mentionRows.length ? [ctx.db.insertInto('message_mentions').values(mentionRows)] : []),
      // Only last_message_id: no cached fact changes (db/write-observer.ts), as for a person's send.
      ctx.db.updateTable('channels').set({ last_message_id: id }).where('id', '=', channel.id).modifyEnd(sql.raw(UNCACHED_COLUMNS_ONLY)),
    ];
    // One statement on PostgreSQL, as a person's send (a flagged post records its flag in the same transaction).
    if (ctx.database.dialect === 'postgres' && !flag) await writeAsOneStatement(ctx.db, writes);
    else {
      await ctx.db.transaction().execute(async (trx) => {
        for (const statement of writes) await trx.executeQuery(statement);
        if (flag) await ctx.safety.recordFlag(trx, flag, row);
      });
    }
    // Built from what was written; only the webhook's own user row is read.
    const [message] = await loadMessages(ctx.db, [row], null, this.urls, { mentions: mentionRows, attachments: [], referenced: [], users: reached });
    await ctx.events.publish(...(await ctx.safety.deliveries('MESSAGE_CREATE', message!, audience, channel, null, flag)));
    return message!;
  }

  /** A message this webhook posted, as stored; unknown otherwise. */
  async find(webhook: WebhookRow, messageId: Snowflake): Promise<MessageRow> {
    const row = await this.ctx.db.selectFrom('messages').selectAll().where('id', '=', messageId).where('webhook_id', '=', webhook.id).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_MESSAGE');
    return row;
  }

  async show(row: MessageRow): Promise<Message> {
    return (await loadMessages(this.ctx.db, [row], null, this.urls))[0]!;
  }

  /** Edits what the webhook posted: its text and embeds (the rest stays), scanned like a post. */
  async edit(webhook: WebhookRow, messageId: Snowflake, body: z.output<typeof EditWebhookMessageBody>): Promise<Message> {
    const { ctx } = this;
    const channel = await this.channelOf(webhook);
    await consumeOrThrow(this.perWebhook, webhook.id);
    const row = await this.find(webhook, messageId);
    const content = body.content === undefined ? row.content : (body.content ?? '');
    const embeds = body.embeds === undefined ? row.embeds : body.embeds?.length ? JSON.stringify(body.embeds) : null;
    if (!content.trim() && embeds === null && row.has_attachments === 0) throw new ApiError('EMPTY_MESSAGE');
    const mentions = await mentionsIn(ctx.db, channel, content, body.allowed_mentions, { canMentionEveryone: false, repliedUserId: null });
    const mentioned = await readersAmong(ctx.db, channel, null, mentions.users);
    const updated: MessageRow = { ...row, content, embeds, edited_at: ctx.clock.now(), mention_roles: JSON.stringify(mentions.roles) };
    const flag = await ctx.safety.scan(channel, webhook.id, content);
    await ctx.db.transaction().execute(async (trx) => {
      if (flag) await ctx.safety.recordFlag(trx, flag, updated);
      await trx.updateTable('messages').set({ content, embeds, edited_at: updated.edited_at, mention_roles: updated.mention_roles }).where('id', '=', row.id).execute();
      await trx.deleteFrom('message_mentions').where('message_id', '=', row.id).execute();
      if (mentioned.length) {
        await trx
          .insertInto('message_mentions')
          .values(mentioned.map((user_id) => ({ message_id: row.id, user_id, channel_id: channel.id })))
          .execute();
      }
    });
    const message = await this.show(updated);
    const audience = await channelAudience(ctx.db, channel, null);
    await ctx.events.publish(...(await ctx.safety.deliveries('MESSAGE_UPDATE', message, audience, channel, null, flag)));
    return message;
  }

  async remove(webhook: WebhookRow, messageId: Snowflake): Promise<void> {
    const row = await this.find(webhook, messageId);
    await deleteMessages(this.ctx, await this.channelOf(webhook), null, [row.id]);
  }

  /**
   * The webhook's channel, if it may still post there (access/webhooks.ts). Its row is the one
   * cached per node: a request by webhook URL signs nobody in, so it first makes sure this node
   * has applied every change acknowledged anywhere (cache/bus.ts), as signing in does.
   */
  private async channelOf(webhook: WebhookRow): Promise<ChannelRow> {
    await this.ctx.cacheBus.current();
    const channel = await this.ctx.access.channel(this.ctx.db, webhook.channel_id);
    if (!channel) throw new ApiError('UNKNOWN_WEBHOOK');
    requireWebhookTarget(channel);
    return channel;
  }
}
