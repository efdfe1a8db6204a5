import { ChannelType, CreateMessageBody, type Message, MessageType, Permissions, type Snowflake } from '@parley/protocol';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { z } from 'zod';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import type { MessageRow, UserRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError, fieldError } from '../../http/errors';
import { channelAudience } from '../channels/audience';
import { announceDmTo, blockedEitherWay } from '../channels/dms';
import { type ChannelAccess, requireContentPermission } from '../guilds/access';
import { loadMembers } from '../guilds/payloads';
import { withoutUser } from '../guilds/serialize';
import { isDirect, isThread } from '../guilds/permissions';
import type { AttachmentUrls } from './attachment-urls';
import { parseMentions, resolveMentions } from './mentions';
import { loadMessages } from './serialize';

/** A file already stored, waiting to be attached to the message being sent. */
export interface StoredUpload {
  id: Snowflake;
  channelId: Snowflake;
  filename: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  hasThumbnail: boolean;
}

type Body = z.output<typeof CreateMessageBody>;

/**
 * Sending a message: who may, how often, what it mentions, and who hears of it. Messages are
 * stored as the Markdown text people typed (never as HTML); clients render it safely.
 */
export class MessageSender {
  private readonly perChannel: RateLimiterAbstract;
  /** Slow mode limiters by their interval in seconds (a channel setting). */
  private readonly slowmode = new Map<number, RateLimiterAbstract>();

  constructor(
    private readonly ctx: AppContext,
    private readonly urls: AttachmentUrls,
  ) {
    const { points, seconds } = ctx.config.messageRateLimit;
    this.perChannel = ctx.limiters({ keyPrefix: 'send', points, duration: seconds });
  }

  async send(access: ChannelAccess, author: UserRow, body: Body, uploads: readonly StoredUpload[] = []): Promise<Message> {
    const { ctx } = this;
    const { channel } = access;
    if (channel.type === ChannelType.GUILD_CATEGORY || channel.type === ChannelType.GUILD_VOICE) {
      throw new ApiError('MISSING_PERMISSIONS', { message: 'Messages cannot be sent to this kind of channel' });
    }
    requireContentPermission(access, isThread(channel.type) ? Permissions.SEND_MESSAGES_IN_THREADS : Permissions.SEND_MESSAGES);
    if (uploads.length) requireContentPermission(access, Permissions.ATTACH_FILES);
    const content = body.content ?? '';
    if (!content.trim() && uploads.length === 0) throw new ApiError('EMPTY_MESSAGE');
    if (channel.type === ChannelType.DM) await this.checkDmRecipient(channel.id, author.id);
    await this.checkRate(access, author);

    const reference = await this.resolveReference(access, body);
    const written = parseMentions(content);
    const mentions = resolveMentions(written, body.allowed_mentions, {
      canMentionEveryone: !isDirect(channel.type) && (access.permissions & Permissions.MENTION_EVERYONE) !== 0n,
      // Replying to yourself pings nobody.
      repliedUserId: reference && reference.author_id !== author.id ? reference.author_id : null,
    });
    const mentioned = await this.audienceMembers(access, mentions.users);

    const id = ctx.ids.next();
    const row: MessageRow = {
      id,
      channel_id: channel.id,
      guild_id: channel.guild_id,
      author_id: author.id,
      content,
      type: reference ? MessageType.REPLY : MessageType.DEFAULT,
      flags: 0,
      reference_message_id: reference?.id ?? null,
      reference_channel_id: reference ? channel.id : null,
      mention_everyone: mentions.everyone ? 1 : 0,
      mention_roles: JSON.stringify(mentions.roles),
      pinned_at: null,
      edited_at: null,
      has_attachments: uploads.length ? 1 : 0,
      has_images: uploads.some((u) => u.width !== null) ? 1 : 0,
    };
    const reopened = await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('messages').values(row).execute();
      if (mentioned.length) await trx.insertInto('message_mentions').values(mentioned.map((user_id) => ({ message_id: id, user_id, channel_id: channel.id }))).execute();
      if (uploads.length) {
        await trx
          .insertInto('attachments')
          .values(uploads.map((u) => ({ id: u.id, message_id: id, channel_id: channel.id, filename: u.filename, content_type: u.contentType, size: u.size, width: u.width, height: u.height, has_thumbnail: u.hasThumbnail ? (1 as const) : (0 as const) })))
          .execute();
      }
      await trx
        .updateTable('channels')
        .set((eb) => ({ last_message_id: id, ...(isThread(channel.type) && { message_count: eb('message_count', '+', 1), archived: 0 as const }) }))
        .where('id', '=', channel.id)
        .execute();
      // Your own message marks the channel read for you.
      await trx
        .insertInto('read_states')
        .values({ user_id: author.id, channel_id: channel.id, last_message_id: id })
        .onConflict((oc) => oc.columns(['user_id', 'channel_id']).doUpdateSet({ last_message_id: id }))
        .execute();
      if (!isDirect(channel.type)) return [];
      // Replying to a request accepts it; a closed DM reopens for everyone in it on a new message.
      await trx.updateTable('channel_members').set({ state: 'accepted' }).where('channel_id', '=', channel.id).where('user_id', '=', author.id).execute();
      const hidden = await trx.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('state', '=', 'hidden').execute();
      await trx.updateTable('channel_members').set({ state: 'accepted' }).where('channel_id', '=', channel.id).where('state', '=', 'hidden').execute();
      // The first message of a new DM is when its recipient first hears of it.
      const firstMessage = channel.last_message_id === null;
      const newcomers = firstMessage ? await trx.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('user_id', '!=', author.id).where('state', '=', 'request').execute() : [];
      return [...hidden, ...newcomers].map((r) => r.user_id);
    });

    if (reopened.length) await announceDmTo(ctx, { ...channel, last_message_id: id }, reopened);
    const [message] = await loadMessages(ctx.db, [row], null, this.urls);
    const member = access.guild ? (await loadMembers(ctx.db, channel.guild_id!, [access.guild.member]))[0] : undefined;
    const payload: Message = {
      ...message!,
      ...(member && { member: withoutUser(member) }),
      ...(body.nonce !== undefined && { nonce: body.nonce }),
    };
    await ctx.events.publish(event('MESSAGE_CREATE', payload, await channelAudience(ctx.db, channel, access.parent)));
    return { ...payload, reactions: [] };
  }

  /** In a one-to-one DM, a block either way stops the message. */
  private async checkDmRecipient(channelId: Snowflake, authorId: Snowflake): Promise<void> {
    const other = await this.ctx.db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channelId).where('user_id', '!=', authorId).executeTakeFirst();
    if (other && (await blockedEitherWay(this.ctx.db, authorId, other.user_id))) throw new ApiError('CANNOT_MESSAGE_USER');
  }

  /**
   * Everyone is limited per channel (default 5 messages / 5 s); slow mode adds its interval for
   * people who cannot manage the channel's messages. Bots are spared slow mode, as in Discord.
   */
  private async checkRate(access: ChannelAccess, author: UserRow): Promise<void> {
    await consumeOrThrow(this.perChannel, `${author.id}:${access.channel.id}`);
    const interval = access.channel.rate_limit_per_user;
    const exempt = author.bot === 1 || (access.permissions & (Permissions.MANAGE_MESSAGES | Permissions.MANAGE_CHANNELS)) !== 0n;
    if (interval > 0 && !exempt) {
      let limiter = this.slowmode.get(interval);
      if (!limiter) this.slowmode.set(interval, (limiter = this.ctx.limiters({ keyPrefix: `slowmode-${interval}`, points: 1, duration: interval })));
      await consumeOrThrow(limiter, `${author.id}:${access.channel.id}`, 'SLOWMODE');
    }
  }

  /** The message a reply answers: it must be in the same channel. */
  private async resolveReference(access: ChannelAccess, body: Body): Promise<MessageRow | null> {
    const ref = body.message_reference;
    if (!ref?.message_id) return null;
    const target = await this.ctx.db.selectFrom('messages').selectAll().where('id', '=', ref.message_id).where('channel_id', '=', access.channel.id).executeTakeFirst();
    if (!target && ref.fail_if_not_exists !== false) throw fieldError('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    return target ?? null;
  }

  /** Of the mentioned users, those who can read the channel (only they are notified). */
  private async audienceMembers(access: ChannelAccess, userIds: Snowflake[]): Promise<Snowflake[]> {
    if (userIds.length === 0) return [];
    const { db } = this.ctx;
    const rules = access.parent ?? access.channel;
    if (isDirect(access.channel.type) || rules.private === 1) {
      const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', rules.id).where('user_id', 'in', userIds).execute();
      return rows.map((r) => r.user_id);
    }
    const rows = await db.selectFrom('members').select('user_id').where('guild_id', '=', access.channel.guild_id!).where('user_id', 'in', userIds).execute();
    return rows.map((r) => r.user_id);
  }
}
