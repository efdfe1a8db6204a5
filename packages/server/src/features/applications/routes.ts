import { randomBytes } from 'node:crypto';
import { type Application, Permissions, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { hashToken } from '../../core/tokens';
import type { ApplicationRow, UserRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { gatewayUrl } from '../../gateway/url';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { sourceOf } from '../auth/sign-in-sources';
import { confirmIdentity } from '../mfa/reauth';
import { guildAccess, requirePermission } from '../../access/access';
import { addMember, announceMemberAdded, createBotRole } from '../guilds/membership';
import { requireNotBanned } from '../moderation/banned';
import { toRole } from '../guilds/serialize';
import { getUserOrThrow } from '../users/queries';
import { toUser } from '../users/serialize';

/** Applications and their bots: create, issue bot tokens, add bots to servers; gateway discovery. */
export function applicationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  async function toApplication(row: ApplicationRow): Promise<Application> {
    const owner = await getUserOrThrow(db, row.owner_id);
    const bot = row.bot_user_id ? await getUserOrThrow(db, row.bot_user_id) : null;
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      icon: null,
      owner: toUser(owner),
      ...(bot && { bot: toUser(bot) }),
      bot_public: true,
      bot_require_code_grant: false,
      flags: 0,
      verify_key: '',
    };
  }

  async function ownApplication(id: Snowflake, ownerId: Snowflake): Promise<ApplicationRow> {
    const row = await db.selectFrom('applications').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_APPLICATION');
    return row;
  }

  route(routes.applications.create, async ({ auth, body }) => {
    const row: ApplicationRow = {
      id: ctx.ids.next(),
      name: body.name,
      description: body.description ?? '',
      owner_id: auth.user.id,
      bot_user_id: null,
      bot_token_hash: null,
      created_at: ctx.clock.now(),
    };
    await db.insertInto('applications').values(row).execute();
    return toApplication(row);
  });

  route(routes.applications.listMine, async ({ auth }) => {
    const rows = await db.selectFrom('applications').selectAll().where('owner_id', '=', auth.user.id).orderBy('id').execute();
    return Promise.all(rows.map(toApplication));
  });

  route(routes.applications.current, async ({ auth }) => {
    const row = auth.user.bot ? await db.selectFrom('applications').selectAll().where('bot_user_id', '=', auth.user.id).executeTakeFirst() : undefined;
    if (!row) throw new ApiError('UNKNOWN_APPLICATION');
    return toApplication(row);
  });

  route(routes.applications.createBot, async ({ auth, params, body, request }) => {
    const application = await ownApplication(params.application_id, auth.user.id);
    // A bot token acts for the bot in every server it is in: issuing one is a sensitive action.
    await confirmIdentity(ctx, auth.user, body, sourceOf(request), 'password-or-code');
    const botId = application.bot_user_id ?? (await createBotUser(ctx, application));
    // Discord's layout: the bot's ID in base64, a dot, then the secret. The dot tells bot tokens
    // from people's tokens (which never contain one).
    const token = `${Buffer.from(botId).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
    await db
      .updateTable('applications')
      .set({ bot_user_id: botId, bot_token_hash: hashToken(token) })
      .where('id', '=', application.id)
      .execute();
    // A new token replaces the old one: whatever is still connected with it is cut off.
    if (application.bot_user_id) await ctx.events.closeConnections({ users: [botId] }, 'Bot token reset');
    return { token, user: toUser(await getUserOrThrow(db, botId)) };
  });

  /** The application and bot behind an authorize link, and where the caller could add it. */
  async function botOf(clientId: Snowflake): Promise<{ application: ApplicationRow; bot: UserRow }> {
    const application = await db.selectFrom('applications').selectAll().where('id', '=', clientId).executeTakeFirst();
    if (!application?.bot_user_id) throw new ApiError('UNKNOWN_APPLICATION');
    return { application, bot: await getUserOrThrow(db, application.bot_user_id) };
  }

  route(routes.applications.authorizeInfo, async ({ auth, query }) => {
    const { application, bot } = await botOf(query.client_id);
    const { owner: _owner, ...info } = await toApplication(application);
    const mine = await db.selectFrom('members').select('guild_id').where('user_id', '=', auth.user.id).execute();
    const guilds = [];
    for (const { guild_id } of mine) {
      const access = await guildAccess(db, guild_id, auth.user.id);
      if ((access.permissions & Permissions.MANAGE_GUILD) !== 0n) guilds.push({ id: access.guild.id, name: access.guild.name, icon: access.guild.icon });
    }
    return { application: info, bot: toUser(bot), guilds };
  });

  route(routes.applications.authorize, async ({ auth, query, body }) => {
    const { bot } = await botOf(query.client_id);
    const access = await guildAccess(db, body.guild_id, auth.user.id);
    requirePermission(access, Permissions.MANAGE_GUILD);
    const permissions = BigInt(body.permissions);
    // Nobody hands a bot more than they hold themselves.
    if ((permissions & ~access.permissions) !== 0n) throw new ApiError('MISSING_PERMISSIONS', { message: 'You cannot give a bot permissions you do not have' });
    // A banned bot stays out until unbanned, as anyone else.
    await requireNotBanned(db, body.guild_id, bot.id);
    let roleId: Snowflake | null = null;
    const added = await db.transaction().execute(async (trx) => {
      if (await trx.selectFrom('members').select('user_id').where('guild_id', '=', body.guild_id).where('user_id', '=', bot.id).executeTakeFirst()) return false;
      roleId = permissions ? await createBotRole(ctx, trx, body.guild_id, bot.global_name ?? bot.username, permissions) : null;
      return addMember(ctx, body.guild_id, bot.id, { trx, roleIds: roleId ? [roleId] : [] });
    });
    if (added) {
      if (roleId) {
        const role = await db.selectFrom('roles').selectAll().where('id', '=', roleId).executeTakeFirstOrThrow();
        await ctx.events.publish(event('GUILD_ROLE_CREATE', { guild_id: body.guild_id, role: toRole(role) }, { guilds: [body.guild_id] }));
      }
      await announceMemberAdded(ctx, body.guild_id, bot.id);
    }
    return { location: `/channels/${body.guild_id}` };
  });

  route(routes.applications.gateway, async ({ request }) => ({ url: gatewayUrl(request.raw, ctx.config.publicUrl) }));

  route(routes.applications.gatewayBot, async ({ request }) => ({
    url: gatewayUrl(request.raw, ctx.config.publicUrl),
    shards: 1,
    session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
  }));
}

/** The bot's own user: a username from the application's name, made unique if needed. */
async function createBotUser(ctx: AppContext, application: ApplicationRow): Promise<Snowflake> {
  const id = ctx.ids.next();
  const base =
    application.name
      .toLowerCase()
      .replace(/[^a-z0-9_.]+/g, '_')
      .replace(/\.{2,}/g, '.')
      .slice(0, 24)
      .replace(/^[._]+|[._]+$/g, '') || 'bot';
  for (let attempt = 0; ; attempt++) {
    const username = attempt === 0 ? base : `${base}_${randomBytes(3).toString('hex')}`;
    const taken = await ctx.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
    if (taken && attempt < 5) continue;
    await ctx.db.insertInto('users').values({ id, username, global_name: application.name, bot: 1, created_at: ctx.clock.now() }).execute();
    return id;
  }
}
