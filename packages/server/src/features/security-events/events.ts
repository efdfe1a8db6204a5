import type { SecurityEvent, SecurityEventKind, Snowflake } from '@parley/protocol';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { describeClient } from '../auth/client-info';
import { sourceOf } from '../auth/sign-in-sources';
import { mailContext } from '../email/verification';
import { securityNoticeMail } from '../email/messages';

/** How many events an account keeps: enough to look back on, never unbounded. */
const KEPT_PER_USER = 100;

/** Kinds worth a mail to the account's address (with mail configured): the owner should know at once if it was not them. */
const MAILED: ReadonlySet<SecurityEventKind> = new Set([
  'sign_in_new_place',
  'password_changed',
  'password_reset',
  'email_changed',
  'mfa_enabled',
  'mfa_disabled',
  'backup_codes_regenerated',
  'passkey_added',
  'passkey_removed',
  'deletion_scheduled',
]);

type EventContext = Pick<AppContext, 'db' | 'clock' | 'ids' | 'mailer' | 'settings' | 'config'>;

/**
 * Records what just happened to `user`'s security, from where (the request), trims the oldest
 * beyond KEPT_PER_USER, and mails the account's address about the kinds that warrant it.
 */
export async function recordSecurityEvent(ctx: EventContext, user: Pick<UserRow, 'id' | 'username' | 'email'>, kind: SecurityEventKind, request: FastifyRequest): Promise<void> {
  const now = ctx.clock.now();
  const client = describeClient(request.headers['user-agent']);
  await ctx.db.insertInto('security_events').values({ id: ctx.ids.next(), user_id: user.id, kind, client, ip: request.ip, created_at: now }).execute();
  const keep = ctx.db.selectFrom('security_events').select('id').where('user_id', '=', user.id).orderBy('id', 'desc').limit(KEPT_PER_USER);
  await ctx.db.deleteFrom('security_events').where('user_id', '=', user.id).where('id', 'not in', keep).execute();
  if (!MAILED.has(kind) || !user.email) return;
  const context = await mailContext(ctx);
  if (context) ctx.mailer!.send(securityNoticeMail(context, user.email, user.username, kind, { client, ip: request.ip, at: new Date(now) }));
}

/**
 * A sign-in (password, second factor, passkey, single sign-on) on record: from a place the
 * account knows, or from a new one, which is mailed. Call it before the place is remembered.
 */
export async function recordSignIn(ctx: AppContext, userId: Snowflake, request: FastifyRequest): Promise<void> {
  const familiar = await ctx.authLimiter.knownSources.match(userId, sourceOf(request));
  const user = await ctx.db.selectFrom('users').select(['id', 'username', 'email']).where('id', '=', userId).executeTakeFirstOrThrow();
  await recordSecurityEvent(ctx, user, familiar ? 'sign_in' : 'sign_in_new_place', request);
}

export async function listSecurityEvents(ctx: Pick<AppContext, 'db'>, userId: Snowflake): Promise<SecurityEvent[]> {
  const rows = await ctx.db.selectFrom('security_events').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(KEPT_PER_USER).execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind as SecurityEventKind, client: row.client, ip: row.ip, created_at: new Date(row.created_at).toISOString() }));
}
