import { AuditLogEvent, ChannelType, isGuildVoiceChannel, Limits, Permissions, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { ChannelRow, NewChannel } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { type ChannelAccess, channelAccess, isChannelMember, overwritesOf, requireContentPermission, requirePermission } from '../../access/access';
import { loadMembers } from '../guilds/payloads';
import { isDirect, isThread } from '../../access/channel-kinds';
import { getUserOrThrow, usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { channelAudience, channelListingAudience, channelMemberIds } from '../../access/audience';
import { blockedEitherWay } from '../../access/blocks';
import { announceDmTo, dmAsSeenBy, initialState, openDm, openGroupDm, privateChannelsOf } from './dms';
import { introducePresences } from '../../presence/partners';
import { toChannel } from './serialize';
import { checkOverwrites } from '../moderation/overwrite-rules';
import { auditReason, changesBetween, recordAudit } from '../audit-log/record';
import { rulesChanged } from '../../access/guild-rules';
import { checkThreadName, newChannelEncrypted } from '../../access/e2ee';
import { syncRosters } from '../e2ee/rosters';

/** Channels of servers (create, edit, reorder, delete, private members), DMs and typing. */
export function channelRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  const byId = (id: Snowflake) => db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  /** A category of this guild, or a field error naming `field`. */
  async function requireCategory(guildId: Snowflake, id: Snowflake, field: string): Promise<void> {
    const parent = await db.selectFrom('channels').select('type').where('id', '=', id).where('guild_id', '=', guildId).executeTakeFirst();
    if (parent?.type !== ChannelType.GUILD_CATEGORY) throw fieldError(field, 'BASE_TYPE_INVALID', 'Must be a category of this server');
  }

  /** How a channel looks to a viewer: recipients for DMs, `joined` for private channels. */
  async function view(channel: ChannelRow, viewerId: Snowflake) {
    if (isDirect(channel.type)) return dmAsSeenBy(db, channel, viewerId);
    const [joined, overwrites] = await Promise.all([channel.private === 1 ? isChannelMember(db, channel.id, viewerId) : false, overwritesOf(db, [channel.id])]);
    return toChannel(channel, { joined, overwrites: overwrites.get(channel.id) ?? [] });
  }

  /** A guild channel's own event (created, changed, deleted): with its overwrites, to everyone it is listed to. */
  async function channelEvent(t: 'CHANNEL_CREATE' | 'CHANNEL_UPDATE' | 'CHANNEL_DELETE', channel: ChannelRow) {
    const overwrites = (await overwritesOf(db, [channel.id])).get(channel.id) ?? [];
    return event(t, toChannel(channel, { overwrites }), await channelListingAudience(db, channel));
  }

  route(routes.channels.create, async ({ auth, access, params, body, request }) => {
    const isCategory = body.type === ChannelType.GUILD_CATEGORY;
    const parentId = isCategory ? null : (body.parent_id ?? null);
    if (parentId) await requireCategory(params.guild_id, parentId, 'parent_id');
    const encrypted = newChannelEncrypted(access.guild, body);
    const overwrites = body.permission_overwrites ?? [];
    await checkOverwrites(db, params.guild_id, access.permissions, overwrites, (i) => `permission_overwrites.${i}.id`);
    const last = await db
      .selectFrom('channels')
      .select((eb) => eb.fn.max('position').as('p'))
      .where('guild_id', '=', params.guild_id)
      .where((eb) => (parentId ? eb('parent_id', '=', parentId) : eb('parent_id', 'is', null)))
      .executeTakeFirst();
    const row: NewChannel = {
      id: ctx.ids.next(),
      type: body.type,
      guild_id: params.guild_id,
      name: body.type === ChannelType.GUILD_TEXT ? body.name.toLowerCase().replace(/\s+/g, '-') : body.name,
      topic: body.topic ?? null,
      position: body.position ?? (last?.p === null || last?.p === undefined ? 0 : Number(last.p) + 1),
      parent_id: parentId,
      private: body.private && !isCategory ? 1 : 0,
      e2ee: encrypted ? 1 : 0,
      owner_id: null,
      icon: null,
      last_message_id: null,
      last_pin_at: null,
      rate_limit_per_user: body.rate_limit_per_user ?? 0,
      bitrate: isGuildVoiceChannel(body.type) ? (body.bitrate ?? 64_000) : null,
      user_limit: isGuildVoiceChannel(body.type) ? (body.user_limit ?? 0) : null,
      auto_archive_duration: null,
      dm_key: null,
      created_at: ctx.clock.now(),
    };
    if (encrypted) await ctx.safety.requireEncryptionAllowed({ channel: { id: row.id, type: row.type, guild_id: params.guild_id } });
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('channels').values(row).execute();
      // The creator of a private channel is its first member.
      if (row.private) await trx.insertInto('channel_members').values({ channel_id: row.id, user_id: auth.user.id, joined_at: row.created_at }).execute();
      if (overwrites.length) {
        await trx
          .insertInto('permission_overwrites')
          .values(overwrites.map((o) => ({ channel_id: row.id, target_id: o.id, type: o.type, allow: o.allow, deny: o.deny })))
          .execute();
        await rulesChanged(trx, params.guild_id);
      }
    });
    await recordAudit(ctx, db, {
      guildId: params.guild_id,
      userId: auth.user.id,
      action: AuditLogEvent.CHANNEL_CREATE,
      targetId: row.id,
      changes: [
        { key: 'name', new_value: row.name },
        { key: 'type', new_value: row.type },
      ],
      reason: auditReason(request),
    });
    // An encrypted server's new text channel is read by whoever may view it: they are its readers before anyone sends.
    if (encrypted && !row.private) await syncRosters(ctx, params.guild_id, { channelIds: [row.id] });
    const channel = await byId(row.id);
    await ctx.events.publish(
      await channelEvent('CHANNEL_CREATE', channel),
      ...(row.private ? [event('CHANNEL_MEMBER_ADD', { guild_id: params.guild_id, channel_id: row.id, user: toUser(auth.user) }, { users: [auth.user.id] })] : []),
    );
    return toChannel(channel, { joined: true, overwrites });
  });

  route(routes.channels.reorder, async ({ params, body }) => {
    const ids = body.map((b) => b.id);
    const channels = await db.selectFrom('channels').selectAll().where('guild_id', '=', params.guild_id).where('id', 'in', ids).execute();
    if (channels.length !== new Set(ids).size) throw fieldError('id', 'BASE_TYPE_INVALID', 'Every channel must belong to this server');
    for (const move of body) if (move.parent_id) await requireCategory(params.guild_id, move.parent_id, 'parent_id');
    await db.transaction().execute(async (trx) => {
      for (const move of body) {
        const isCategory = channels.find((c) => c.id === move.id)!.type === ChannelType.GUILD_CATEGORY;
        await trx
          .updateTable('channels')
          .set({ position: move.position, ...(move.parent_id !== undefined && !isCategory && { parent_id: move.parent_id }) })
          .where('id', '=', move.id)
          .execute();
      }
    });
    const moved = await db.selectFrom('channels').selectAll().where('id', 'in', ids).execute();
    await ctx.events.publish(...(await Promise.all(moved.map((c) => channelEvent('CHANNEL_UPDATE', c)))));
  });

  route(routes.channels.get, async ({ auth, access: { channel } }) => {
    return view(channel, auth.user.id);
  });

  route(routes.channels.update, async ({ auth, access, body, request }) => {
    const { channel } = access;
    if (channel.type === ChannelType.DM) throw new ApiError('MISSING_PERMISSIONS');
    if (isThread(channel.type)) {
      if (channel.owner_id !== auth.user.id) requirePermission(access, Permissions.MANAGE_THREADS);
      checkThreadName(access, body.name);
    } else if (channel.guild_id) {
      requirePermission(access, Permissions.MANAGE_CHANNELS);
    }
    if (body.parent_id && channel.guild_id && channel.type !== ChannelType.GUILD_CATEGORY) await requireCategory(channel.guild_id, body.parent_id, 'parent_id');
    const changes = {
      ...(body.name !== undefined && { name: channel.type === ChannelType.GUILD_TEXT ? body.name.toLowerCase().replace(/\s+/g, '-') : body.name }),
      ...(body.topic !== undefined && { topic: body.topic }),
      ...(body.position !== undefined && { position: body.position }),
      ...(body.parent_id !== undefined && channel.type !== ChannelType.GUILD_CATEGORY && !isThread(channel.type) && { parent_id: body.parent_id }),
      ...(body.rate_limit_per_user !== undefined && { rate_limit_per_user: body.rate_limit_per_user }),
      ...(body.bitrate !== undefined && isGuildVoiceChannel(channel.type) && { bitrate: body.bitrate }),
      ...(body.user_limit !== undefined && isGuildVoiceChannel(channel.type) && { user_limit: body.user_limit }),
      ...(body.archived !== undefined && isThread(channel.type) && { archived: body.archived ? (1 as const) : (0 as const) }),
    };
    if (Object.keys(changes).length) await db.updateTable('channels').set(changes).where('id', '=', channel.id).execute();
    const updated = await byId(channel.id);
    const audited = channel.guild_id && !isThread(channel.type) ? changesBetween(channel, updated, ['name', 'topic', 'position', 'parent_id', 'rate_limit_per_user', 'bitrate', 'user_limit']) : [];
    if (audited.length) {
      await recordAudit(ctx, db, { guildId: channel.guild_id!, userId: auth.user.id, action: AuditLogEvent.CHANNEL_UPDATE, targetId: channel.id, changes: audited, reason: auditReason(request) });
    }
    if (isDirect(updated.type)) {
      const members = await channelMemberIds(db, updated.id);
      await ctx.events.publish(...(await Promise.all(members.map(async (id) => event('CHANNEL_UPDATE', await dmAsSeenBy(db, updated, id), { users: [id] })))));
    } else if (isThread(updated.type)) {
      await ctx.events.publish(event('THREAD_UPDATE', toChannel(updated), await channelAudience(db, updated, access.parent)));
    } else {
      // A private channel's name and settings are public; only its contents are not.
      await ctx.events.publish(await channelEvent('CHANNEL_UPDATE', updated));
    }
    return view(updated, auth.user.id);
  });

  route(routes.channels.delete, async ({ auth, access, request }) => {
    const { channel } = access;
    if (channel.type === ChannelType.DM) {
      // Closing a DM hides it for you alone; a new message brings it back.
      await db.updateTable('channel_members').set({ state: 'hidden' }).where('channel_id', '=', channel.id).where('user_id', '=', auth.user.id).where('state', '!=', 'declined').execute();
      const seen = await dmAsSeenBy(db, channel, auth.user.id);
      await ctx.events.publish(event('CHANNEL_DELETE', seen, { users: [auth.user.id] }));
      return seen;
    }
    if (channel.type === ChannelType.GROUP_DM) {
      const seen = await dmAsSeenBy(db, channel, auth.user.id);
      await leaveGroupDm(ctx, channel, auth.user.id);
      return seen;
    }
    if (isThread(channel.type)) {
      if (channel.owner_id !== auth.user.id) requirePermission(access, Permissions.MANAGE_THREADS);
      const audience = await channelAudience(db, channel, access.parent);
      await db.deleteFrom('channels').where('id', '=', channel.id).execute();
      await ctx.events.publish(event('THREAD_DELETE', { id: channel.id, guild_id: channel.guild_id!, parent_id: channel.parent_id!, type: channel.type }, audience));
      return toChannel(channel);
    }
    requirePermission(access, Permissions.MANAGE_CHANNELS);
    // Who is told is decided before it goes (with it go its overwrites).
    const deleted = await channelEvent('CHANNEL_DELETE', channel);
    // A voice channel's call ends with it, its participants told they lost access.
    await ctx.calls.ejectAll(channel.id);
    await db.transaction().execute(async (trx) => {
      // Children of a deleted category stay, uncategorised; threads of a deleted channel go with it.
      await trx.updateTable('channels').set({ parent_id: null }).where('parent_id', '=', channel.id).where('type', '!=', ChannelType.PUBLIC_THREAD).execute();
      await trx.deleteFrom('channels').where('parent_id', '=', channel.id).where('type', '=', ChannelType.PUBLIC_THREAD).execute();
      await trx.deleteFrom('channels').where('id', '=', channel.id).execute();
    });
    await recordAudit(ctx, db, {
      guildId: channel.guild_id!,
      userId: auth.user.id,
      action: AuditLogEvent.CHANNEL_DELETE,
      targetId: channel.id,
      changes: [
        { key: 'name', old_value: channel.name },
        { key: 'type', old_value: channel.type },
      ],
      reason: auditReason(request),
    });
    await ctx.events.publish(deleted);
    return deleted.d;
  });

  // ---- private channel members ----

  /** A private guild channel, or a field error: only those have a member list. */
  function requirePrivate(access: ChannelAccess): void {
    if (access.channel.private !== 1 || !access.channel.guild_id) throw fieldError('channel_id', 'BASE_TYPE_INVALID', 'Only private channels have members');
  }

  route(routes.channels.listMembers, async ({ access }) => {
    requirePrivate(access);
    const users = await usersByIds(db, await channelMemberIds(db, access.channel.id));
    return [...users.values()].map(toUser);
  });

  // Only members bring people in (VIEW_CHANNEL, declared): a private channel's membership is its members' decision.
  route(routes.channels.addMember, async ({ access, params }) => {
    requirePrivate(access);
    const guildId = access.channel.guild_id!;
    const target = await db.selectFrom('members').select('user_id').where('guild_id', '=', guildId).where('user_id', '=', params.user_id).executeTakeFirst();
    if (!target) throw new ApiError('UNKNOWN_MEMBER');
    const inserted = await db
      .insertInto('channel_members')
      .values({ channel_id: access.channel.id, user_id: params.user_id, joined_at: ctx.clock.now() })
      .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doNothing())
      .executeTakeFirst();
    if (!inserted.numInsertedOrUpdatedRows) return;
    const user = toUser(await getUserOrThrow(db, params.user_id));
    await ctx.events.publish(event('CHANNEL_MEMBER_ADD', { guild_id: guildId, channel_id: access.channel.id, user }, { users: await channelMemberIds(db, access.channel.id) }));
  });

  route(routes.channels.removeMember, async ({ auth, access, params }) => {
    requirePrivate(access);
    if (params.user_id !== auth.user.id) requirePermission(access, Permissions.MANAGE_CHANNELS);
    const before = await channelMemberIds(db, access.channel.id);
    if (!before.includes(params.user_id)) throw new ApiError('UNKNOWN_MEMBER');
    await db.deleteFrom('channel_members').where('channel_id', '=', access.channel.id).where('user_id', '=', params.user_id).execute();
    const user = toUser(await getUserOrThrow(db, params.user_id));
    await ctx.events.publish(event('CHANNEL_MEMBER_REMOVE', { guild_id: access.channel.guild_id!, channel_id: access.channel.id, user }, { users: before }));
    await ctx.calls.eject(params.user_id, { channelId: access.channel.id });
  });

  route(routes.channels.typing, async ({ auth, access }) => {
    requireContentPermission(access, isThread(access.channel.type) ? Permissions.SEND_MESSAGES_IN_THREADS : Permissions.SEND_MESSAGES);
    const guildId = access.channel.guild_id ?? undefined;
    const member = access.guild ? (await loadMembers(db, guildId!, [access.guild.member]))[0] : undefined;
    await ctx.events.publish(
      event(
        'TYPING_START',
        { channel_id: access.channel.id, ...(guildId && { guild_id: guildId }), user_id: auth.user.id, timestamp: Math.floor(ctx.clock.now() / 1000), ...(member && { member }) },
        await channelAudience(db, access.channel, access.parent, access),
      ),
    );
  });

  // ---- direct messages ----

  route(routes.channels.openDm, async ({ auth, body }) => (body.recipient_id ? openDm(ctx, auth.user.id, body.recipient_id, body.e2ee) : openGroupDm(ctx, auth.user.id, body.recipients!, body.e2ee)));

  route(routes.channels.listDms, async ({ auth }) => privateChannelsOf(db, auth.user.id));

  /** A DM in which the caller's state is "request", or 90008. */
  async function pendingRequest(channelId: Snowflake, userId: Snowflake) {
    const access = await channelAccess(db, channelId, userId);
    if (!isDirect(access.channel.type) || access.dmState !== 'request') throw new ApiError('NOT_A_MESSAGE_REQUEST');
    return access.channel;
  }

  route(routes.channels.acceptRequest, async ({ auth, params }) => {
    const channel = await pendingRequest(params.channel_id, auth.user.id);
    await db.updateTable('channel_members').set({ state: 'accepted' }).where('channel_id', '=', channel.id).where('user_id', '=', auth.user.id).execute();
    const seen = await dmAsSeenBy(db, channel, auth.user.id);
    // Accepted, they are DM partners: each sees whether the other is online (presence/partners.ts).
    const presences = (await Promise.all((seen.recipients ?? []).map((r) => introducePresences(db, ctx.presence, auth.user.id, r.id)))).flat();
    await ctx.events.publish(event('CHANNEL_UPDATE', seen, { users: [auth.user.id] }), ...presences);
    return seen;
  });

  route(routes.channels.declineRequest, async ({ auth, params }) => {
    const channel = await pendingRequest(params.channel_id, auth.user.id);
    await db.updateTable('channel_members').set({ state: 'declined' }).where('channel_id', '=', channel.id).where('user_id', '=', auth.user.id).execute();
    await ctx.events.publish(event('CHANNEL_DELETE', await dmAsSeenBy(db, channel, auth.user.id), { users: [auth.user.id] }));
  });

  route(routes.channels.addRecipient, async ({ auth, access, params }) => {
    if (access.channel.type !== ChannelType.GROUP_DM) throw fieldError('channel_id', 'BASE_TYPE_INVALID', 'Only group DMs take new recipients');
    const members = await channelMemberIds(db, access.channel.id);
    if (members.includes(params.user_id)) return;
    if (members.length >= Limits.groupDmMax) throw new ApiError('GROUP_DM_FULL');
    const target = await usersByIds(db, [params.user_id]);
    if (!target.has(params.user_id)) throw new ApiError('INVALID_RECIPIENTS');
    if (await blockedEitherWay(db, auth.user.id, params.user_id)) throw new ApiError('CANNOT_MESSAGE_USER');
    if (access.channel.e2ee === 1) await ctx.safety.requireEncryptionAllowed({ people: [params.user_id] });
    await db
      .insertInto('channel_members')
      .values({ channel_id: access.channel.id, user_id: params.user_id, state: await initialState(db, params.user_id, auth.user.id), joined_at: ctx.clock.now() })
      .execute();
    await ctx.events.publish(event('CHANNEL_RECIPIENT_ADD', { channel_id: access.channel.id, user: toUser(target.get(params.user_id)!) }, { users: members }));
    await announceDmTo(ctx, access.channel, [params.user_id]);
  });

  route(routes.channels.removeRecipient, async ({ auth, access, params }) => {
    if (access.channel.type !== ChannelType.GROUP_DM) throw fieldError('channel_id', 'BASE_TYPE_INVALID', 'Only group DMs have recipients to remove');
    if (params.user_id !== auth.user.id && access.channel.owner_id !== auth.user.id) throw new ApiError('MISSING_PERMISSIONS');
    if (!(await channelMemberIds(db, access.channel.id)).includes(params.user_id)) throw new ApiError('UNKNOWN_MEMBER');
    await leaveGroupDm(ctx, access.channel, params.user_id);
  });
}

/**
 * Takes someone out of a group DM. If the owner leaves, the longest-standing member takes
 * over; the last one out deletes it.
 */
async function leaveGroupDm(ctx: AppContext, channel: ChannelRow, userId: Snowflake): Promise<void> {
  const { db } = ctx;
  const user = toUser(await getUserOrThrow(db, userId));
  const removedView = await dmAsSeenBy(db, channel, userId);
  await ctx.calls.eject(userId, { channelId: channel.id });
  await db.deleteFrom('channel_members').where('channel_id', '=', channel.id).where('user_id', '=', userId).execute();
  const remaining = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).orderBy('joined_at').orderBy('user_id').execute();
  if (remaining.length === 0) {
    await db.deleteFrom('channels').where('id', '=', channel.id).execute();
  } else if (channel.owner_id === userId) {
    await db.updateTable('channels').set({ owner_id: remaining[0]!.user_id }).where('id', '=', channel.id).execute();
  }
  await ctx.events.publish(event('CHANNEL_RECIPIENT_REMOVE', { channel_id: channel.id, user }, { users: remaining.map((r) => r.user_id) }), event('CHANNEL_DELETE', removedView, { users: [userId] }));
}
