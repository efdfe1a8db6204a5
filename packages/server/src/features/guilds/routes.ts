import { AuditLogEvent, ChannelType, DEFAULT_EVERYONE_PERMISSIONS, Permissions, type Snowflake, guildPermissions, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { GuildRow, NewChannel } from '../../db/tables';
import { event } from '../../events/publisher';
import { decodeDataUri, imageKey, storeSquareImage } from '../../files/images';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { toChannel } from '../channels/serialize';
import { channelsAllowing, guildOverwrites, requirePermission, viewerOf } from '../../access/access';
import { auditReason, changesBetween, recordAudit } from '../audit-log/record';
import { kickMember, removeMember } from './membership';
import { guildCreatePayload, loadMembers } from './payloads';
import { toGuild } from './serialize';
import { emojisOf } from '../emojis/serialize';

/** Servers: creating, reading, renaming, deleting, leaving; their channels, members and roles. */
export function guildRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  const rolesOf = (guildId: Snowflake) => db.selectFrom('roles').selectAll().where('guild_id', '=', guildId).orderBy('position').execute();

  route(routes.guilds.create, async ({ auth, body }) => {
    const e2ee = body.e2ee ? 1 : 0;
    if (e2ee) await ctx.safety.requireEncryptionAllowed({ people: [auth.user.id] });
    const guildId = ctx.ids.next();
    const icon = body.icon ? await storeSquareImage(ctx.files, 'icons', guildId, decodeDataUri(body.icon)) : null;
    const now = ctx.clock.now();
    const textCategory = ctx.ids.next();
    const voiceCategory = ctx.ids.next();
    const general = ctx.ids.next();
    const channel = (id: Snowflake, type: number, name: string, position: number, parent: Snowflake | null): NewChannel => ({
      id,
      type,
      guild_id: guildId,
      name,
      topic: null,
      position,
      parent_id: parent,
      owner_id: null,
      icon: null,
      last_message_id: null,
      last_pin_at: null,
      bitrate: null,
      user_limit: null,
      auto_archive_duration: null,
      dm_key: null,
      // In an encrypted server, every text channel is encrypted (access/e2ee.ts).
      e2ee: type === ChannelType.GUILD_TEXT ? e2ee : 0,
      created_at: now,
    });
    const guild: GuildRow = { id: guildId, name: body.name, icon, description: null, owner_id: auth.user.id, system_channel_id: general, mfa_level: 0, created_at: now, rules_version: 0, e2ee };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('guilds').values(guild).execute();
      // @everyone has the guild's own ID, as in Discord.
      await trx
        .insertInto('roles')
        .values({ id: guildId, guild_id: guildId, name: '@everyone', permissions: String(DEFAULT_EVERYONE_PERMISSIONS) })
        .execute();
      await trx
        .insertInto('channels')
        .values([
          channel(textCategory, ChannelType.GUILD_CATEGORY, 'Text Channels', 0, null),
          channel(voiceCategory, ChannelType.GUILD_CATEGORY, 'Voice Channels', 1, null),
          channel(general, ChannelType.GUILD_TEXT, 'general', 0, textCategory),
          channel(ctx.ids.next(), ChannelType.GUILD_VOICE, 'General', 0, voiceCategory),
        ])
        .execute();
      await trx.insertInto('members').values({ guild_id: guildId, user_id: auth.user.id, nick: null, joined_at: now }).execute();
      // Its only reader yet (e2ee/rosters.ts keeps the rest in step as people join).
      if (e2ee) await trx.insertInto('channel_members').values({ channel_id: general, user_id: auth.user.id, joined_at: now }).execute();
    });
    await ctx.events.publish(event('GUILD_CREATE', await guildCreatePayload(ctx, guildId, auth.user.id), { users: [auth.user.id] }));
    return toGuild(guild, await rolesOf(guildId), []);
  });

  route(routes.guilds.get, async ({ access: { guild }, query }) => {
    const result = toGuild(guild, await rolesOf(guild.id), await emojisOf(db, guild.id));
    if (query.with_counts === 'true') result.approximate_member_count = await memberCount(ctx, guild.id);
    return result;
  });

  route(routes.guilds.update, async ({ auth, access, params, body, request }) => {
    if (body.system_channel_id) {
      const inGuild = await db
        .selectFrom('channels')
        .select('id')
        .where('id', '=', body.system_channel_id)
        .where('guild_id', '=', params.guild_id)
        .where('type', '=', ChannelType.GUILD_TEXT)
        .executeTakeFirst();
      if (!inGuild) throw fieldError('system_channel_id', 'BASE_TYPE_INVALID', 'Must be a text channel of this server');
    }
    const old = access.guild;
    if (body.mfa_level !== undefined && body.mfa_level !== old.mfa_level) {
      // Discord's rules: only the owner sets it, and only with 2FA of their own to turn it on.
      if (old.owner_id !== auth.user.id) throw fieldError('mfa_level', 'BASE_TYPE_INVALID', 'Only the server owner can change the two-factor requirement.');
      if (body.mfa_level === 1 && !auth.user.mfa_enabled) throw fieldError('mfa_level', 'MFA_REQUIRED_FOR_OWNER', 'Turn on two-factor authentication for your own account first.');
    }
    let icon = old.icon;
    if (body.icon !== undefined) icon = body.icon === null ? null : await storeSquareImage(ctx.files, 'icons', old.id, decodeDataUri(body.icon));
    const changes = {
      ...(body.name !== undefined && { name: body.name }),
      ...(body.description !== undefined && { description: body.description }),
      ...(body.system_channel_id !== undefined && { system_channel_id: body.system_channel_id }),
      ...(body.mfa_level !== undefined && body.mfa_level !== old.mfa_level && { mfa_level: body.mfa_level }),
      ...(icon !== old.icon && { icon }),
    };
    if (Object.keys(changes).length) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('guilds').set(changes).where('id', '=', old.id).execute();
        const audit = changesBetween(old, { ...old, ...changes }, ['name', 'description', 'system_channel_id', 'icon', 'mfa_level']);
        // Discord calls the icon's key icon_hash.
        for (const change of audit) if (change.key === 'icon') change.key = 'icon_hash';
        if (audit.length) await recordAudit(ctx, trx, { guildId: old.id, userId: auth.user.id, action: AuditLogEvent.GUILD_UPDATE, targetId: old.id, changes: audit, reason: auditReason(request) });
      });
    }
    if (old.icon && icon !== old.icon) await ctx.files.delete(imageKey('icons', old.id, old.icon));
    const guild = toGuild({ ...old, ...changes }, await rolesOf(old.id), await emojisOf(db, old.id));
    await ctx.events.publish(event('GUILD_UPDATE', guild, { guilds: [old.id] }));
    return guild;
  });

  route(routes.guilds.delete, async ({ auth, access: { guild } }) => {
    if (guild.owner_id !== auth.user.id) throw new ApiError('MISSING_PERMISSIONS');
    await db.deleteFrom('guilds').where('id', '=', guild.id).execute();
    if (guild.icon) await ctx.files.delete(imageKey('icons', guild.id, guild.icon));
    await ctx.events.publish(event('GUILD_DELETE', { id: guild.id }, { guilds: [guild.id] }));
  });

  route(routes.guilds.listMine, async ({ auth }) => {
    const guilds = await db.selectFrom('members').innerJoin('guilds', 'guilds.id', 'members.guild_id').selectAll('guilds').where('members.user_id', '=', auth.user.id).orderBy('guilds.id').execute();
    const roleRows = guilds.length
      ? await db
          .selectFrom('roles')
          .select(['roles.guild_id', 'roles.id', 'roles.permissions'])
          .where(
            'roles.guild_id',
            'in',
            guilds.map((g) => g.id),
          )
          .where((eb) => eb.or([eb('roles.id', '=', eb.ref('roles.guild_id')), eb('roles.id', 'in', eb.selectFrom('member_roles').select('role_id').where('user_id', '=', auth.user.id))]))
          .execute()
      : [];
    return guilds.map((g) => ({
      id: g.id,
      name: g.name,
      icon: g.icon,
      owner: g.owner_id === auth.user.id,
      permissions: String(guildPermissions({ ownerId: g.owner_id, userId: auth.user.id, roles: roleRows.filter((r) => r.guild_id === g.id) })),
      features: [],
    }));
  });

  route(routes.guilds.leave, async ({ auth, access: { guild } }) => {
    if (guild.owner_id === auth.user.id) throw new ApiError('OWNER_CANNOT_LEAVE');
    await removeMember(ctx, guild.id, auth.user.id);
  });

  route(routes.guilds.listChannels, async ({ auth, params, access }) => {
    const [channels, joined, overwrites] = await Promise.all([
      db.selectFrom('channels').selectAll().where('guild_id', '=', params.guild_id).where('type', '!=', ChannelType.PUBLIC_THREAD).orderBy('position').orderBy('id').execute(),
      db.selectFrom('channel_members').select('channel_id').where('user_id', '=', auth.user.id).execute(),
      guildOverwrites(db, params.guild_id),
    ]);
    const mine = new Set(joined.map((j) => j.channel_id));
    // Only the channels listed to them: those their overwrites hide are unknown.
    const listed = channelsAllowing(viewerOf(access), channels, overwrites, 'all', Permissions.VIEW_CHANNEL, ctx.clock.now());
    return channels.filter((c) => listed.has(c.id)).map((c) => toChannel(c, { joined: mine.has(c.id), overwrites: overwrites.get(c.id) ?? [] }));
  });

  route(routes.guilds.listMembers, async ({ params, query }) => {
    let rows = db.selectFrom('members').selectAll().where('guild_id', '=', params.guild_id);
    if (query.after) rows = rows.where('user_id', '>', query.after);
    return loadMembers(db, params.guild_id, await rows.orderBy('user_id').limit(query.limit).execute());
  });

  route(routes.guilds.kickMember, async ({ auth, access, params, request }) => kickMember(ctx, access, auth.user.id, params.user_id, auditReason(request)));

  route(routes.guilds.getMember, async ({ params }) => {
    const row = await db.selectFrom('members').selectAll().where('guild_id', '=', params.guild_id).where('user_id', '=', params.user_id).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_MEMBER');
    return (await loadMembers(db, params.guild_id, [row]))[0]!;
  });

  route(routes.guilds.updateOwnMember, async ({ auth, access, params, body }) => {
    if (body.nick !== undefined) {
      requirePermission(access, Permissions.CHANGE_NICKNAME);
      await db
        .updateTable('members')
        .set({ nick: body.nick || null })
        .where('guild_id', '=', params.guild_id)
        .where('user_id', '=', auth.user.id)
        .execute();
    }
    const row = await db.selectFrom('members').selectAll().where('guild_id', '=', params.guild_id).where('user_id', '=', auth.user.id).executeTakeFirstOrThrow();
    const [member] = await loadMembers(db, params.guild_id, [row]);
    await ctx.events.publish(event('GUILD_MEMBER_UPDATE', { ...member!, guild_id: params.guild_id }, { guilds: [params.guild_id] }));
    return member!;
  });
}

async function memberCount(ctx: AppContext, guildId: Snowflake): Promise<number> {
  const row = await ctx.db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('guild_id', '=', guildId)
    .executeTakeFirstOrThrow();
  return row.n;
}
