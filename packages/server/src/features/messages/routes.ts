import { AuditLogEvent, ChannelType, Limits, MessageFlags, Permissions, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { MessageRow, NewChannel } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { channelAudience } from '../../access/audience';
import { toChannel } from '../channels/serialize';
import { type ChannelAccess, requireContentPermission } from '../../access/access';
import { loadMembers } from '../guilds/payloads';
import { isDirect } from '../../access/channel-kinds';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { attachmentDownloadRoutes } from './attachment-routes';
import { AttachmentUrls } from './attachment-urls';
import { AttachmentReceiver } from './attachments';
import { deleteMessageOnRecord } from './delete';
import { auditReason, recordAudit } from '../audit-log/record';
import { mentionsIn } from './message-mentions';
import { searchRoutes } from './search';
import { MessageSender } from './send';
import { maskForViewer } from '../safety/held';
import type { SafetyFlag } from '../safety/policy';
import { LinkPreviews } from '../link-previews/previews';
import { reactionKeyFor } from './reaction-emoji';
import { PreviewFetcher } from '../link-previews/fetch';
import { loadMessages } from './serialize';
import { checkMessageKind, checkReactionKind, checkThreadName } from '../../access/e2ee';
import { claimUploads } from '../uploads/uploads';

const MAX_PINS = 50;
const MAX_REACTION_EMOJI = 20;

/** Messages: history, sending, editing, deleting, read states, reactions, pins and threads. */
export function messageRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  const urls = new AttachmentUrls(db, ctx.clock, ctx.config.publicUrl ?? '');
  const sender = new MessageSender(ctx, urls);
  const previews = new LinkPreviews(ctx, urls, new PreviewFetcher({ allowed: ctx.config.linkPreviewsAllow }), (error) => app.log.error({ err: error }, 'Link preview failed'));
  app.addHook('onClose', () => previews.close());
  attachmentDownloadRoutes(app, ctx, urls);
  searchRoutes(app, ctx, urls);

  async function messageIn(channelId: Snowflake, messageId: Snowflake): Promise<MessageRow> {
    const row = await db.selectFrom('messages').selectAll().where('id', '=', messageId).where('channel_id', '=', channelId).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_MESSAGE');
    return row;
  }

  /** The message as everyone receives it in MESSAGE_UPDATE (no per-viewer reactions); a held one reaches minors as a placeholder. */
  async function publishUpdate(access: ChannelAccess, row: MessageRow, flag: SafetyFlag | null = null): Promise<void> {
    const [message] = await loadMessages(db, [row], null, urls);
    const audience = await channelAudience(db, access.channel, access.parent);
    await ctx.events.publish(...(await ctx.safety.deliveries('MESSAGE_UPDATE', message!, audience, access.channel, access.parent, flag)));
  }

  route(
    routes.messages.list,
    async ({ auth, params, query }) => {
      const base = db.selectFrom('messages').selectAll().where('channel_id', '=', params.channel_id);
      let rows: MessageRow[];
      if (query.after) {
        rows = (await base.where('id', '>', query.after).orderBy('id', 'asc').limit(query.limit).execute()).reverse();
      } else if (query.around) {
        // Half before (the target included), half after, newest first like every page.
        const half = Math.ceil(query.limit / 2);
        const older = await base.where('id', '<=', query.around).orderBy('id', 'desc').limit(half).execute();
        const newer = await base
          .where('id', '>', query.around)
          .orderBy('id', 'asc')
          .limit(query.limit - half)
          .execute();
        rows = [...newer.reverse(), ...older];
      } else {
        rows = await (query.before ? base.where('id', '<', query.before) : base).orderBy('id', 'desc').limit(query.limit).execute();
      }
      return maskForViewer(db, auth.user, await loadMessages(db, rows, auth.user.id, urls));
    },
    undefined,
    // Reading history shows nothing of the channel row: its access comes from the node's cache too.
    { cachedAccess: true },
  );

  route(
    routes.messages.get,
    async ({ auth, params }) => {
      const [message] = await maskForViewer(db, auth.user, await loadMessages(db, [await messageIn(params.channel_id, params.message_id)], auth.user.id, urls));
      return message!;
    },
    undefined,
    { cachedAccess: true },
  );

  route(
    routes.messages.create,
    async ({ auth, access, body, files }) => {
      checkMessageKind(access, body);
      // Files uploaded beforehand (features/uploads) go with those sent in the request.
      const uploaded = await claimUploads(ctx, access, auth.user.id, body);
      if (files.length + uploaded.length > Limits.attachmentsPerMessage) throw new ApiError('INVALID_FORM_BODY', { message: `A message carries at most ${Limits.attachmentsPerMessage} files` });
      const message = await sender.send(access, auth.user, body, [...files, ...uploaded]);
      await previews.follow(message, { sent: true });
      return message;
    },
    new AttachmentReceiver(ctx),
    // Sending is the hottest route: its access comes from the rows cached per node (access/cached.ts).
    { cachedAccess: true },
  );

  route(routes.messages.edit, async ({ auth, access, params, body }) => {
    checkMessageKind(access, body);
    const row = await messageIn(params.channel_id, params.message_id);
    if (row.author_id !== auth.user.id) throw new ApiError('CANNOT_EDIT_OTHERS');
    await ctx.safety.requireNotBlocked(auth.user.id, access.channel);
    if (body.encrypted) await ctx.safety.requireEncryptionAllowed({ channel: access.channel });
    const content = body.content ?? (body.content === null ? '' : row.content);
    if (!content.trim() && row.has_attachments === 0 && !body.encrypted) throw new ApiError('EMPTY_MESSAGE');
    // Mentions are recomputed for the new text; the edit does not ping anyone again.
    const canMentionEveryone = !isDirect(access.channel.type) && (access.permissions & Permissions.MENTION_EVERYONE) !== 0n;
    const mentions = await mentionsIn(db, access.channel, content, body.allowed_mentions, { canMentionEveryone, repliedUserId: null });
    const encrypted = body.encrypted ? JSON.stringify(body.encrypted) : row.encrypted;
    // Its author may turn its link previews off (or on again) with SUPPRESS_EMBEDS.
    const flags = body.flags === undefined ? row.flags : (row.flags & ~MessageFlags.SUPPRESS_EMBEDS) | (body.flags & MessageFlags.SUPPRESS_EMBEDS);
    const updated: MessageRow = { ...row, content, encrypted, flags, edited_at: ctx.clock.now(), mention_everyone: mentions.everyone ? 1 : 0, mention_roles: JSON.stringify(mentions.roles) };
    // Edits are scanned like sends (features/safety): a message edited into harassment is held too.
    const flag = await ctx.safety.scan(access.channel, auth.user.id, content);
    await db.transaction().execute(async (trx) => {
      if (flag) await ctx.safety.recordFlag(trx, flag, updated);
      await trx
        .updateTable('messages')
        .set({ content, encrypted, flags, edited_at: updated.edited_at, mention_everyone: updated.mention_everyone, mention_roles: updated.mention_roles })
        .where('id', '=', row.id)
        .execute();
      await trx.deleteFrom('message_mentions').where('message_id', '=', row.id).execute();
      const known = mentions.users.length ? await trx.selectFrom('users').select('id').where('id', 'in', mentions.users).execute() : [];
      if (known.length)
        await trx
          .insertInto('message_mentions')
          .values(known.map((u) => ({ message_id: row.id, user_id: u.id, channel_id: row.channel_id })))
          .execute();
    });
    await publishUpdate(access, updated, flag);
    await previews.follow(updated);
    const [message] = await loadMessages(db, [updated], auth.user.id, urls);
    return { ...message!, ...(flag && { safety_flag: ctx.safety.flagFor(flag) }) };
  });

  route(routes.messages.delete, async ({ auth, access, params, request }) => {
    const row = await messageIn(params.channel_id, params.message_id);
    const moderated = row.author_id !== auth.user.id;
    if (moderated) {
      if (isDirect(access.channel.type)) throw new ApiError('MISSING_PERMISSIONS');
      requireContentPermission(access, Permissions.MANAGE_MESSAGES);
    }
    await deleteMessageOnRecord(ctx, access, row, moderated ? { actorId: auth.user.id, reason: auditReason(request) } : null);
  });

  route(routes.messages.ack, async ({ auth, params }) => {
    // Only ever forwards: an ack still in flight for an older message (from a device that then
    // sent one of its own, which counts as read) must not bring back what was already read.
    const moved = await db
      .insertInto('read_states')
      .values({ user_id: auth.user.id, channel_id: params.channel_id, last_message_id: params.message_id })
      .onConflict((oc) => oc.columns(['user_id', 'channel_id']).doUpdateSet({ last_message_id: params.message_id }).where('read_states.last_message_id', '<', params.message_id))
      .executeTakeFirst();
    if (!moved.numInsertedOrUpdatedRows) return;
    // Every device of yours moves its unread marker.
    await ctx.events.publish(event('MESSAGE_ACK', { channel_id: params.channel_id, message_id: params.message_id }, { users: [auth.user.id] }));
  });

  // ---- reactions ----

  route(routes.messages.addReaction, async ({ auth, access, params }) => {
    checkReactionKind(access, params.emoji);
    const { key, emoji } = await reactionKeyFor(db, access, params.emoji);
    const row = await messageIn(params.channel_id, params.message_id);
    const existing = await db.selectFrom('reactions').select('emoji').distinct().where('message_id', '=', row.id).execute();
    if (!existing.some((e) => e.emoji === key)) {
      // Adding to an existing reaction needs no permission; starting a new one does.
      requireContentPermission(access, Permissions.ADD_REACTIONS);
      if (existing.length >= MAX_REACTION_EMOJI) throw new ApiError('MAX_REACTIONS');
    }
    const inserted = await db
      .insertInto('reactions')
      .values({ message_id: row.id, emoji: key, user_id: auth.user.id, created_at: ctx.clock.now() })
      .onConflict((oc) => oc.columns(['message_id', 'emoji', 'user_id']).doNothing())
      .executeTakeFirst();
    if (!inserted.numInsertedOrUpdatedRows) return;
    const member = access.guild ? (await loadMembers(db, row.guild_id!, [access.guild.member]))[0] : undefined;
    await ctx.events.publish(
      event(
        'MESSAGE_REACTION_ADD',
        {
          user_id: auth.user.id,
          channel_id: row.channel_id,
          message_id: row.id,
          ...(row.guild_id && { guild_id: row.guild_id }),
          ...(member && { member }),
          emoji,
          message_author_id: row.author_id,
          burst: false,
          type: 0,
        },
        await channelAudience(db, access.channel, access.parent),
      ),
    );
  });

  /** Removes one user's reaction; answers "unknown emoji" when there was none. */
  async function removeReaction(access: ChannelAccess, messageId: Snowflake, given: string, userId: Snowflake): Promise<void> {
    const { key, emoji } = await reactionKeyFor(db, access, given);
    const row = await messageIn(access.channel.id, messageId);
    const removed = await db.deleteFrom('reactions').where('message_id', '=', row.id).where('emoji', '=', key).where('user_id', '=', userId).executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw new ApiError('UNKNOWN_EMOJI');
    await ctx.events.publish(
      event(
        'MESSAGE_REACTION_REMOVE',
        { user_id: userId, channel_id: row.channel_id, message_id: row.id, ...(row.guild_id && { guild_id: row.guild_id }), emoji, burst: false, type: 0 },
        await channelAudience(db, access.channel, access.parent),
      ),
    );
  }

  route(routes.messages.removeOwnReaction, async ({ auth, access, params }) => {
    await removeReaction(access, params.message_id, params.emoji, auth.user.id);
  });

  route(routes.messages.removeUserReaction, async ({ auth, access, params }) => {
    if (params.user_id !== auth.user.id) requireContentPermission(access, Permissions.MANAGE_MESSAGES);
    await removeReaction(access, params.message_id, params.emoji, params.user_id);
  });

  route(routes.messages.listReactions, async ({ access, params, query }) => {
    await messageIn(params.channel_id, params.message_id);
    const { key } = await reactionKeyFor(db, access, params.emoji);
    let rows = db.selectFrom('reactions').select('user_id').where('message_id', '=', params.message_id).where('emoji', '=', key);
    if (query.after) rows = rows.where('user_id', '>', query.after);
    const ids = (await rows.orderBy('user_id').limit(query.limit).execute()).map((r) => r.user_id);
    const users = await usersByIds(db, ids);
    return ids.flatMap((id) => (users.has(id) ? [toUser(users.get(id)!)] : []));
  });

  // ---- pins ----

  route(routes.messages.listPins, async ({ auth, params }) => {
    const rows = await db.selectFrom('messages').selectAll().where('channel_id', '=', params.channel_id).where('pinned_at', 'is not', null).orderBy('pinned_at', 'desc').execute();
    return maskForViewer(db, auth.user, await loadMessages(db, rows, auth.user.id, urls));
  });

  /** Pinning needs Pin Messages (or Manage Messages) in servers; anyone may pin in a DM. */
  async function setPinned(access: ChannelAccess, messageId: Snowflake, pinned: boolean, actorId: Snowflake, reason: string | null): Promise<void> {
    const channelId = access.channel.id;
    if ((access.permissions & (Permissions.PIN_MESSAGES | Permissions.MANAGE_MESSAGES)) === 0n) throw new ApiError('MISSING_PERMISSIONS');
    const row = await messageIn(channelId, messageId);
    if ((row.pinned_at !== null) === pinned) return;
    if (pinned) {
      const count = await db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('channel_id', '=', channelId)
        .where('pinned_at', 'is not', null)
        .executeTakeFirstOrThrow();
      if (count.n >= MAX_PINS) throw new ApiError('MAX_PINS');
    }
    const now = ctx.clock.now();
    const updated: MessageRow = { ...row, pinned_at: pinned ? now : null };
    await db.updateTable('messages').set({ pinned_at: updated.pinned_at }).where('id', '=', row.id).execute();
    await db.updateTable('channels').set({ last_pin_at: now }).where('id', '=', channelId).execute();
    if (row.guild_id) {
      await recordAudit(ctx, db, {
        guildId: row.guild_id,
        userId: actorId,
        action: pinned ? AuditLogEvent.MESSAGE_PIN : AuditLogEvent.MESSAGE_UNPIN,
        targetId: row.author_id,
        options: { channel_id: channelId, message_id: row.id },
        reason,
      });
    }
    await publishUpdate(access, updated);
    await ctx.events.publish(
      event(
        'CHANNEL_PINS_UPDATE',
        { ...(access.channel.guild_id && { guild_id: access.channel.guild_id }), channel_id: channelId, last_pin_timestamp: new Date(now).toISOString() },
        await channelAudience(db, access.channel, access.parent),
      ),
    );
  }

  route(routes.messages.pin, async ({ auth, access, params, request }) => setPinned(access, params.message_id, true, auth.user.id, auditReason(request)));
  route(routes.messages.unpin, async ({ auth, access, params, request }) => setPinned(access, params.message_id, false, auth.user.id, auditReason(request)));

  // ---- threads ----

  route(routes.messages.startThread, async ({ auth, access, params, body }) => {
    checkThreadName(access, body.name);
    if (access.channel.type !== ChannelType.GUILD_TEXT) throw new ApiError('MISSING_PERMISSIONS', { message: 'Threads start from messages in server text channels' });
    requireContentPermission(access, Permissions.CREATE_PUBLIC_THREADS);
    const starter = await messageIn(params.channel_id, params.message_id);
    if (await db.selectFrom('channels').select('id').where('id', '=', starter.id).executeTakeFirst()) throw new ApiError('THREAD_EXISTS');
    // A thread started from a message takes the message's ID, as in Discord.
    const row: NewChannel = {
      id: starter.id,
      type: ChannelType.PUBLIC_THREAD,
      guild_id: access.channel.guild_id,
      name: body.name,
      topic: null,
      parent_id: access.channel.id,
      owner_id: auth.user.id,
      icon: null,
      last_message_id: null,
      last_pin_at: null,
      rate_limit_per_user: body.rate_limit_per_user ?? 0,
      bitrate: null,
      user_limit: null,
      auto_archive_duration: body.auto_archive_duration ?? 1440,
      dm_key: null,
      // A thread of an encrypted channel is encrypted too: its messages are sealed with the channel's group.
      e2ee: access.channel.e2ee,
      created_at: ctx.clock.now(),
    };
    await db.insertInto('channels').values(row).execute();
    const thread = await db.selectFrom('channels').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    const audience = await channelAudience(db, access.channel, null);
    await ctx.events.publish(event('THREAD_CREATE', { ...toChannel(thread), newly_created: true }, audience));
    await publishUpdate(access, starter);
    return toChannel(thread);
  });
}
