import { ChannelType, CreateMessageBody, isGuildVoiceChannel, type Message, MessageFlags, MessageType, Permissions, type Snowflake } from '@parley/protocol';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { z } from 'zod';
import { type Kysely, sql } from 'kysely';
import { writeAsOneStatement } from '../../db/one-statement';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import { uniqueViolationColumn } from '../../db/errors';
import type { AttachmentRow, ChannelRow, MessageRow, Tables, UserRow } from '../../db/tables';
import { UNCACHED_COLUMNS_ONLY } from '../../db/write-observer';
import { ApiError, fieldError } from '../../http/errors';
import { usersReached } from '../../access/audience';
import { announceDmTo } from '../channels/dms';
import { type ChannelAccess, requireContentPermission } from '../../access/access';
import { loadMembers } from '../guilds/payloads';
import { toMember, withoutUser } from '../guilds/serialize';
import { toUser } from '../users/serialize';
import { isDirect, isThread } from '../../access/channel-kinds';
import type { AttachmentUrls } from './attachment-urls';
import { attachmentPrefix } from './attachments';
import { mentionsIn } from './message-mentions';
import { type Written, loadMessages } from './serialize';

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
  /** A resumable upload (features/uploads): its file is not the send's to delete when a repeat is answered with the first message. */
  keep?: boolean;
}

type Body = z.output<typeof CreateMessageBody>;

/** How long a nonce sent with enforce_nonce is remembered ("a few minutes", as Discord). */
const NONCE_WINDOW_MS = 5 * 60_000;

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
    if (channel.type === ChannelType.GUILD_CATEGORY || isGuildVoiceChannel(channel.type)) {
      throw new ApiError('MISSING_PERMISSIONS', { message: 'Messages cannot be sent to this kind of channel' });
    }
    requireContentPermission(access, isThread(channel.type) ? Permissions.SEND_MESSAGES_IN_THREADS : Permissions.SEND_MESSAGES);
    if (uploads.length || body.file_offer) requireContentPermission(access, Permissions.ATTACH_FILES);
    const content = body.content ?? '';
    // An encrypted message's text is in its envelope (access/e2ee.ts checked which kind this channel takes).
    const encrypted = body.encrypted ?? null;
    if (!content.trim() && uploads.length === 0 && !encrypted && !body.file_offer) throw new ApiError('EMPTY_MESSAGE');
    if (channel.type === ChannelType.DM) await this.checkDmRecipient(access, author.id);
    // Blocked here by the safety classifier until an admin reviews it (features/safety).
    await ctx.safety.requireNotBlocked(author.id, channel);
    if (encrypted) await ctx.safety.requireEncryptionAllowed({ channel });
    // A retry of a send that already went through gets the first message back, and its files go.
    const nonce = body.enforce_nonce && body.nonce !== undefined ? String(body.nonce) : null;
    const earlier = nonce === null ? null : await this.earlierSend(access, author, nonce, uploads);
    if (earlier && earlier !== 'expired') return { ...earlier, nonce: body.nonce! };
    await this.checkRate(access, author);
    // The in-process classifier, when the instance's policy scans this conversation (features/safety).
    const flag = await ctx.safety.scan(channel, author.id, content);

    const reference = await this.resolveReference(access, body);
    const mentions = await mentionsIn(ctx.db, channel, content, body.allowed_mentions, {
      canMentionEveryone: !isDirect(channel.type) && (access.permissions & Permissions.MENTION_EVERYONE) !== 0n,
      // Replying to yourself pings nobody.
      repliedUserId: reference && reference.author_id !== author.id ? reference.author_id : null,
    });
    // Who hears of this message (cached per node for a guild channel): those it pings are among them.
    const audience = await ctx.access.channelAudience(ctx.db, access);
    const reached = await usersReached(ctx.db, audience, mentions.users);
    const mentioned = mentions.users.filter((userId) => reached.some((u) => u.id === userId));

    const id = ctx.ids.next();
    const row: MessageRow = {
      id,
      channel_id: channel.id,
      guild_id: channel.guild_id,
      author_id: author.id,
      content,
      type: reference ? MessageType.REPLY : MessageType.DEFAULT,
      // The one flag a sender sets: no link previews.
      flags: (body.flags ?? 0) & MessageFlags.SUPPRESS_EMBEDS,
      reference_message_id: reference?.id ?? null,
      reference_channel_id: reference ? channel.id : null,
      mention_everyone: mentions.everyone ? 1 : 0,
      mention_roles: JSON.stringify(mentions.roles),
      pinned_at: null,
      edited_at: null,
      has_attachments: uploads.length ? 1 : 0,
      has_images: uploads.some((u) => u.width !== null) ? 1 : 0,
      encrypted: encrypted && JSON.stringify(encrypted),
      webhook_id: null,
      author_name: null,
      embeds: null,
      file_offer: body.file_offer ? JSON.stringify(body.file_offer) : null,
    };
    const attachmentRows: AttachmentRow[] = uploads.map((u) => ({
      id: u.id,
      message_id: id,
      channel_id: channel.id,
      filename: u.filename,
      content_type: u.contentType,
      size: u.size,
      width: u.width,
      height: u.height,
      has_thumbnail: u.hasThumbnail ? (1 as const) : (0 as const),
    }));
    const mentionRows = mentioned.map((user_id) => ({ message_id: id, user_id, channel_id: channel.id }));
    // Resumable uploads become this message's in the same write: never a message whose upload could still expire and take its file.
    const claimed = uploads.filter((u) => u.keep).map((u) => u.id);
    // A send on PostgreSQL is one statement (atomic by itself): no BEGIN/COMMIT round trips.
    // (Not when an expired row holds this nonce: one statement cannot delete it and insert it again.)
    const oneStatement = ctx.database.dialect === 'postgres' && !flag && earlier !== 'expired';
    const writes = this.writes(ctx.db, row, author, nonce, mentionRows, attachmentRows, claimed, channel, oneStatement);
    const states = isDirect(channel.type) ? dmStateWrites(ctx.db, channel, author.id) : null;
    const write = oneStatement
      ? writeAsOneStatement(ctx.db, writes, states ? dmStatesAsParts(states) : undefined)
      : ctx.db.transaction().execute(async (trx): Promise<DmStateChange[]> => {
          // Before the channel's last_message_id moves: whether this is its first message.
          const newcomers = states?.newcomers ? (await trx.executeQuery(states.newcomers)).rows : [];
          for (const statement of writes) await trx.executeQuery(statement);
          // Held from minors, reported (and the sender blocked) in the same transaction as the message.
          if (flag) await ctx.safety.recordFlag(trx, flag, row);
          const accepted = states ? (await trx.executeQuery(states.accept)).rows : [];
          return [...accepted.map((r) => ({ user_id: r.user_id, changed: 1 })), ...newcomers.map((r) => ({ user_id: r.user_id, changed: 0 }))];
        });
    let dmChanges: DmStateChange[];
    try {
      dmChanges = await write;
    } catch (error) {
      // The same nonce raced in from a second attempt, which won: answer with its message.
      const violated = uniqueViolationColumn(error);
      const winner = nonce !== null && violated !== null ? await this.earlierSend(access, author, nonce, uploads) : null;
      if (winner && winner !== 'expired') return { ...winner, nonce: body.nonce! };
      // Another send carrying the same upload won (an attachment's ID is its upload's).
      if (violated !== null && claimed.length) throw new ApiError('UNKNOWN_UPLOAD', { message: 'This upload was already sent with another message.' });
      throw error;
    }

    // The channel row at hand had no last_message_id: this node reads it afresh next time (see dmStateWrites).
    if (states?.newcomers) ctx.access.forgetChannel(channel.id);
    // A state moved: every node's caches hear of it (the statement that moved it is not reported: see dmStateWrites).
    const accepted = new Set(dmChanges.filter((r) => r.changed).map((r) => r.user_id));
    if (accepted.size) await ctx.database.writes.report(new Set(['channel_members']));
    const announced = new Set(dmChanges.map((r) => r.user_id).filter((userId) => userId !== author.id));
    if (announced.size) await announceDmTo(ctx, { ...channel, last_message_id: id }, [...announced]);
    // Attachments in ID order, as a read of the message lists them (uploads made beforehand come first).
    const byId = [...attachmentRows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const held: Written = { mentions: mentionRows, attachments: byId, referenced: reference ? [reference] : [], users: [author, ...reached] };
    const payload: Message = { ...(await this.asSent(access, row, null, author, held)), ...(body.nonce !== undefined && { nonce: body.nonce }) };
    // A DM's audience as the write left it: its author accepted it by writing (so an author who had
    // declined it hears of this message, though a send of theirs at the same time moved the state first).
    const dmMembers = access.dmMembers?.map((m) => (m.user_id === author.id || accepted.has(m.user_id) ? { ...m, state: 'accepted' as const } : m));
    const to = dmMembers ? await ctx.access.channelAudience(ctx.db, { ...access, dmMembers }) : audience;
    await ctx.events.publish(...(await ctx.safety.deliveries('MESSAGE_CREATE', payload, to, channel, access.parent, flag)));
    return { ...payload, reactions: [], ...(flag && { safety_flag: ctx.safety.flagFor(flag) }) };
  }

  /**
   * The message this author sent here with this nonce within the window, as the send answered
   * it then; the files of the retry (stored already, never to be attached) are deleted.
   * "expired": one was sent with it before the window (this send is a new message).
   */
  private async earlierSend(access: ChannelAccess, author: UserRow, nonce: string, uploads: readonly StoredUpload[]): Promise<Message | 'expired' | null> {
    const { db, clock, files } = this.ctx;
    const found = await db
      .selectFrom('message_nonces')
      .innerJoin('messages', 'messages.id', 'message_nonces.message_id')
      .selectAll('messages')
      .select('message_nonces.created_at as nonce_created_at')
      .where('message_nonces.author_id', '=', author.id)
      .where('message_nonces.channel_id', '=', access.channel.id)
      .where('message_nonces.nonce', '=', nonce)
      .executeTakeFirst();
    if (!found) return null;
    const { nonce_created_at, ...row } = found;
    if (nonce_created_at < clock.now() - NONCE_WINDOW_MS) return 'expired';
    await Promise.all(uploads.filter((u) => !u.keep).map((u) => files.deletePrefix(attachmentPrefix(u.channelId, u.id))));
    return this.asSent(access, row, author.id);
  }

  /**
   * A stored message as a send answers and announces it: with the author's member in a server.
   * A new one is built from what was written and what the send's access holds; nothing is read back.
   */
  private async asSent(access: ChannelAccess, row: MessageRow, viewerId: Snowflake | null, author?: UserRow, written?: Written): Promise<Message> {
    const { db } = this.ctx;
    const [message] = await loadMessages(db, [row], viewerId, this.urls, written);
    const guild = access.guild;
    const member = !guild ? undefined : author ? toMember(guild.member, toUser(author), [...guild.roleIds]) : (await loadMembers(db, guild.guild.id, [guild.member]))[0];
    return { ...message!, ...(member && { member: withoutUser(member) }) };
  }

  /** What a send writes besides a flag's records and a DM's states, in order. */
  private writes(
    db: Kysely<Tables>,
    row: MessageRow,
    author: UserRow,
    nonce: string | null,
    mentions: MentionRow[],
    attachments: AttachmentRow[],
    /** Uploads (features/uploads) the attachments come from, marked sent with the message. */
    claimed: readonly Snowflake[],
    channel: ChannelRow,
    /** Parts of one statement: the expired nonces' delete must leave this nonce's key to the insert (no expired row holds it). */
    oneStatement: boolean,
  ) {
    const id = row.id;
    const now = this.ctx.clock.now();
    const thread = isThread(channel.type);
    // Only last_message_id (and a thread's count) change, which no cache is trusted for (access/cached.ts),
    // unless an archived thread opens again.
    const uncached = !thread || channel.archived === 0 ? sql.raw(UNCACHED_COLUMNS_ONLY) : sql.raw('');
    return [
      db.insertInto('messages').values(row),
      ...(nonce === null
        ? []
        : [
            db
              .deleteFrom('message_nonces')
              .where('author_id', '=', author.id)
              .where('created_at', '<', now - NONCE_WINDOW_MS)
              .$if(oneStatement, (q) => q.where((eb) => eb.not(eb.and([eb('channel_id', '=', channel.id), eb('nonce', '=', nonce)])))),
            db.insertInto('message_nonces').values({ author_id: author.id, channel_id: channel.id, nonce, message_id: id, created_at: now }),
          ]),
      ...(mentions.length ? [db.insertInto('message_mentions').values(mentions)] : []),
      ...(attachments.length ? [db.insertInto('attachments').values(attachments)] : []),
      ...(claimed.length ? [db.updateTable('uploads').set({ message_id: id, completed_at: now }).where('id', 'in', claimed).where('message_id', 'is', null)] : []),
      db
        .updateTable('channels')
        .set((eb) => ({ last_message_id: id, ...(thread && { message_count: eb('message_count', '+', 1), archived: 0 as const }) }))
        .where('id', '=', channel.id)
        .modifyEnd(uncached),
      // Your own message marks the channel read for you.
      db
        .insertInto('read_states')
        .values({ user_id: author.id, channel_id: channel.id, last_message_id: id })
        .onConflict((oc) => oc.columns(['user_id', 'channel_id']).doUpdateSet({ last_message_id: id })),
    ];
  }

  /** In a one-to-one DM, a block either way stops the message. */
  private async checkDmRecipient(access: ChannelAccess, authorId: Snowflake): Promise<void> {
    const other = access.dmMembers?.find((m) => m.user_id !== authorId);
    if (other && (await this.ctx.access.blockedEitherWay(this.ctx.db, authorId, other.user_id))) throw new ApiError('CANNOT_MESSAGE_USER');
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
}

type MentionRow = Written['mentions'][number] & { channel_id: Snowflake };

/** A DM member the send accepted the DM for (changed: 1), or announces it to as its first message's recipient (changed: 0). */
interface DmStateChange {
  user_id: Snowflake;
  changed: number;
}

/**
 * What a DM send changes of its members' states: replying to a request accepts it, and a closed
 * DM reopens for everyone in it. The first message of a new DM is when its recipient first hears
 * of it (a request or not): `newcomers`, read before the send moves last_message_id, and only
 * when the channel row at hand has none (a cached row may be behind; a row given one keeps it).
 *
 * The update returns whom it changed and carries the UNCACHED_COLUMNS_ONLY mark: the write
 * observer cannot tell whether a part of a WITH statement changed a row, so the send reports
 * `channel_members` itself, only when a state moved (each report empties every node's access caches).
 */
function dmStateWrites(db: Kysely<Tables>, channel: ChannelRow, authorId: Snowflake) {
  const accept = db
    .updateTable('channel_members')
    .set({ state: 'accepted' })
    .where('channel_id', '=', channel.id)
    .where((eb) => eb.or([eb('state', '=', 'hidden'), eb.and([eb('user_id', '=', authorId), eb('state', '!=', 'accepted')])]))
    .returning('user_id')
    .modifyEnd(sql.raw(UNCACHED_COLUMNS_ONLY));
  const newcomers =
    channel.type === ChannelType.DM && channel.last_message_id === null
      ? db
          .selectFrom('channel_members')
          .select('user_id')
          .where('channel_id', '=', channel.id)
          .where('user_id', '!=', authorId)
          .where('state', 'in', ['request', 'accepted'])
          .where((eb) => eb(eb.selectFrom('channels').select('last_message_id').where('id', '=', channel.id), 'is', null))
      : null;
  return { accept, newcomers };
}

/** dmStateWrites as parts of the send's one statement, whose rows are the DM's state changes. */
function dmStatesAsParts({ accept, newcomers }: ReturnType<typeof dmStateWrites>) {
  return {
    named: { accepted: accept, ...(newcomers && { newcomers }) },
    select: sql<DmStateChange>`select user_id, 1 as changed from accepted${newcomers ? sql` union all select user_id, 0 from newcomers` : sql``}`,
  };
}
