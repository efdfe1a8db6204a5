import { type Invite, Permissions, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { AppContext } from '../../context';
import { newCode } from '../../core/tokens';
import type { InviteRow, Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { channelAccess, guildAccess, requirePermission } from '../../access/access';
import { addMember } from '../guilds/membership';
import { requireNotBanned } from '../moderation/banned';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';

/** Invites to servers: create with expiry and use limits, look up, join through, revoke. */
export function inviteRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  /** An invite that still works (not expired, not used up), or "unknown invite". */
  async function liveInvite(code: string): Promise<InviteRow> {
    const invite = await db.selectFrom('invites').selectAll().where('code', '=', code).executeTakeFirst();
    if (!invite || isSpent(invite, ctx.clock.now())) throw new ApiError('UNKNOWN_INVITE');
    return invite;
  }

  route(routes.invites.create, async ({ auth, params, body }) => {
    const access = await channelAccess(db, params.channel_id, auth.user.id);
    if (!access.guild) throw new ApiError('UNKNOWN_CHANNEL');
    requirePermission(access, Permissions.CREATE_INSTANT_INVITE);
    const now = ctx.clock.now();
    const row: InviteRow = {
      code: newCode(8),
      guild_id: access.channel.guild_id!,
      channel_id: access.channel.id,
      inviter_id: auth.user.id,
      uses: 0,
      max_uses: body.max_uses,
      max_age: body.max_age,
      temporary: body.temporary ? 1 : 0,
      expires_at: body.max_age ? now + body.max_age * 1000 : null,
      created_at: now,
    };
    await db.insertInto('invites').values(row).execute();
    return (await toInvites(db, [row], true))[0]!;
  });

  route(routes.invites.get, async ({ params, query, request }) => {
    const invite = await liveInvite(params.code);
    // Anyone may look; someone signed in who is banned there is told so before they try to join.
    const viewer = request.headers.authorization ? await ctx.sessions.authenticate(request.headers.authorization).catch(() => null) : null;
    if (viewer) await requireNotBanned(db, invite.guild_id, viewer.user.id);
    const [result] = await toInvites(db, [invite], false);
    if (query.with_counts === 'true') result!.approximate_member_count = await countMembers(db, invite.guild_id);
    return result!;
  });

  route(routes.invites.accept, async ({ auth, params }) => {
    const invite = await liveInvite(params.code);
    const member = await db.selectFrom('members').select('user_id').where('guild_id', '=', invite.guild_id).where('user_id', '=', auth.user.id).executeTakeFirst();
    if (!member) {
      // A banned user is told so, and no use of the invite is spent on them.
      await requireNotBanned(db, invite.guild_id, auth.user.id);
      // One conditional UPDATE claims a use, so a last use cannot be taken twice.
      const claimed = await db
        .updateTable('invites')
        .set({ uses: sql`uses + 1` })
        .where('code', '=', invite.code)
        .where((eb) => eb.or([eb('max_uses', '=', 0), eb('uses', '<', eb.ref('max_uses'))]))
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) throw new ApiError('UNKNOWN_INVITE');
      await addMember(ctx, invite.guild_id, auth.user.id);
    }
    return (await toInvites(db, [invite], false))[0]!;
  });

  route(routes.invites.revoke, async ({ auth, params }) => {
    const invite = await db.selectFrom('invites').selectAll().where('code', '=', params.code).executeTakeFirst();
    if (!invite) throw new ApiError('UNKNOWN_INVITE');
    const access = await guildAccess(db, invite.guild_id, auth.user.id).catch(() => {
      throw new ApiError('UNKNOWN_INVITE');
    });
    if (invite.inviter_id !== auth.user.id) requirePermission(access, Permissions.MANAGE_GUILD);
    await db.deleteFrom('invites').where('code', '=', invite.code).execute();
    return (await toInvites(db, [invite], true))[0]!;
  });

  route(routes.invites.listGuild, async ({ params }) => {
    const now = ctx.clock.now();
    const rows = await db.selectFrom('invites').selectAll().where('guild_id', '=', params.guild_id).orderBy('created_at', 'desc').execute();
    return toInvites(
      db,
      rows.filter((r) => !isSpent(r, now)),
      true,
    );
  });
}

function isSpent(invite: InviteRow, now: number): boolean {
  return (invite.expires_at !== null && invite.expires_at <= now) || (invite.max_uses > 0 && invite.uses >= invite.max_uses);
}

async function countMembers(db: Kysely<Tables>, guildId: Snowflake): Promise<number> {
  const row = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('guild_id', '=', guildId)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Invites in Discord's shape; `withMetadata` adds the use counts only managers see. */
async function toInvites(db: Kysely<Tables>, rows: InviteRow[], withMetadata: boolean): Promise<Invite[]> {
  if (rows.length === 0) return [];
  const [guilds, channels, inviters] = await Promise.all([
    db
      .selectFrom('guilds')
      .select(['id', 'name', 'icon', 'description', 'e2ee'])
      .where(
        'id',
        'in',
        rows.map((r) => r.guild_id),
      )
      .execute(),
    db
      .selectFrom('channels')
      .select(['id', 'name', 'type'])
      .where(
        'id',
        'in',
        rows.map((r) => r.channel_id),
      )
      .execute(),
    usersByIds(
      db,
      rows.flatMap((r) => (r.inviter_id ? [r.inviter_id] : [])),
    ),
  ]);
  return rows.map((row) => {
    const guild = guilds.find((g) => g.id === row.guild_id)!;
    const channel = channels.find((c) => c.id === row.channel_id)!;
    const inviter = row.inviter_id ? inviters.get(row.inviter_id) : undefined;
    return {
      type: 0 as const,
      code: row.code,
      guild: { id: guild.id, name: guild.name, icon: guild.icon, description: guild.description, features: [], ...(guild.e2ee === 1 && { e2ee: true }) },
      channel: { id: channel.id, name: channel.name, type: channel.type },
      ...(inviter && { inviter: toUser(inviter) }),
      expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
      ...(withMetadata && {
        uses: row.uses,
        max_uses: row.max_uses,
        max_age: row.max_age,
        temporary: row.temporary === 1,
        created_at: new Date(row.created_at).toISOString(),
      }),
    };
  });
}
