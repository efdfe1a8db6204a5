import type { Snowflake } from '@parley/protocol';
import type { AdminUser, AdminUserDetail } from '@parley/protocol/admin';
import { ReportCategory, ReportStatus } from '@parley/protocol';
import { sql } from 'kysely';
import type { AppContext } from '../../context';
import { getUserOrThrow } from '../users/queries';
import { iso, toAdminUser } from './serialize';

/** LIKE's wildcards in what a person typed are taken literally. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Accounts whose username, display name or e-mail address contains `query` (case-insensitive),
 * newest first; bots and erased accounts are left out.
 */
export async function searchAccounts(ctx: AppContext, options: { query?: string | undefined; before?: Snowflake | undefined; limit: number }): Promise<AdminUser[]> {
  let select = ctx.db.selectFrom('users').selectAll().where('bot', '=', 0).where('deleted_at', 'is', null).orderBy('id', 'desc').limit(options.limit);
  if (options.before) select = select.where('id', '<', options.before);
  if (options.query) {
    const pattern = likePattern(options.query);
    // The same on both engines: lowered (PostgreSQL's LIKE is case-sensitive), with an explicit escape (SQLite has none by default).
    const matches = (column: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    select = select.where((eb) => eb.or([matches('username'), matches('email'), matches('global_name')]));
  }
  return (await select.execute()).map(toAdminUser);
}

/** Everything the portal shows about one account. */
export async function accountDetail(ctx: AppContext, userId: Snowflake): Promise<AdminUserDetail> {
  const user = await getUserOrThrow(ctx.db, userId);
  const [sessions, servers, reports] = await Promise.all([
    ctx.db.selectFrom('sessions').select(['id', 'client', 'ip', 'created_at', 'last_used_at']).where('user_id', '=', userId).orderBy('last_used_at', 'desc').execute(),
    ctx.db
      .selectFrom('members')
      .innerJoin('guilds', 'guilds.id', 'members.guild_id')
      .select(['guilds.id', 'guilds.name', 'guilds.owner_id'])
      .where('members.user_id', '=', userId)
      .orderBy('guilds.name')
      .limit(200)
      .execute(),
    ctx.db.selectFrom('reports').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(100).execute(),
  ]);
  return {
    ...toAdminUser(user),
    disabled_at: user.disabled_at === null ? null : iso(user.disabled_at),
    sessions: sessions.map((s) => ({ id: s.id, client: s.client, ip: s.ip, created_at: iso(s.created_at), last_used_at: iso(s.last_used_at) })),
    servers: servers.map((g) => ({ id: g.id, name: g.name, owner: g.owner_id === userId })),
    reports: reports.map((r) => ({
      id: r.id,
      reporter_id: r.reporter_id,
      // A value a newer version wrote falls back rather than failing the page.
      category: ReportCategory.safeParse(r.category).data ?? 'other',
      status: ReportStatus.safeParse(r.status).data ?? 'open',
      message_id: r.message_id,
      channel_id: r.channel_id,
      guild_id: r.guild_id,
      note: r.note,
      content: r.content,
      created_at: iso(r.created_at),
    })),
  };
}
