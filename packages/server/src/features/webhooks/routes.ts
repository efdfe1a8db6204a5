import { randomBytes } from 'node:crypto';
import { API_PREFIX, AuditLogEvent, type Snowflake } from '@parley/protocol';
import { type Webhook, WebhookLimits, webhookRoutes as webhookApi } from '@parley/protocol/webhooks';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { WebhookRow } from '../../db/tables';
import { decodeDataUri, imageKey, storeSquareImage } from '../../files/images';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { hashWebhookToken, requireWebhookTarget, webhookByToken, webhookToManage } from '../../access/webhooks';
import { auditReason, recordAudit } from '../audit-log/record';
import { AttachmentUrls } from '../messages/attachment-urls';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { WebhookPoster } from './execute';

/**
 * Incoming webhooks, Discord's endpoints: managed per channel with Manage Webhooks (who may is
 * access/webhooks.ts), used by anyone holding the URL. Each webhook has a bot user of its own
 * (same ID) that authors its messages, whose avatar is the webhook's.
 */
export function webhookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  const poster = new WebhookPoster(ctx, new AttachmentUrls(db, ctx.clock, ctx.config.publicUrl ?? ''));

  /**
   * Webhooks in Discord's shape: `token` only where the caller holds it already (just made, or
   * used), and its maker except for whoever reads it with the token alone.
   */
  async function toWebhooks(rows: WebhookRow[], options: { token?: string; anonymous?: boolean } = {}): Promise<Webhook[]> {
    const { token } = options;
    const users = await usersByIds(db, [...rows.map((r) => r.id), ...rows.map((r) => r.creator_id)]);
    return rows.map((row) => ({
      id: row.id,
      type: 1 as const,
      guild_id: row.guild_id,
      channel_id: row.channel_id,
      ...(!options.anonymous && users.has(row.creator_id) && { user: toUser(users.get(row.creator_id)!) }),
      name: row.name,
      avatar: users.get(row.id)?.avatar ?? null,
      application_id: null,
      ...(token !== undefined && { token, url: `${ctx.config.publicUrl ?? ''}${API_PREFIX}/webhooks/${row.id}/${token}` }),
    }));
  }
  const one = async (row: WebhookRow, options?: { token?: string; anonymous?: boolean }) => (await toWebhooks([row], options))[0]!;

  route(webhookApi.create, async ({ auth, access, body, request }) => {
    requireWebhookTarget(access.channel);
    const count = await db
      .selectFrom('webhooks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel_id', '=', access.channel.id)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= WebhookLimits.perChannel) throw new ApiError('MAX_WEBHOOKS');
    const id = ctx.ids.next();
    // 68 characters, as Discord's (some libraries check the length of a webhook URL's token).
    const token = randomBytes(51).toString('base64url');
    const avatar = body.avatar ? await storeSquareImage(ctx.files, 'avatars', id, decodeDataUri(body.avatar)) : null;
    const row: WebhookRow = {
      id,
      guild_id: access.channel.guild_id!,
      channel_id: access.channel.id,
      creator_id: auth.user.id,
      name: body.name,
      token_hash: hashWebhookToken(token),
      created_at: ctx.clock.now(),
    };
    await db.transaction().execute(async (trx) => {
      // Its author: a bot user nobody can sign in as, named after the webhook.
      await trx
        .insertInto('users')
        .values({ id, username: `webhook_${id}`, global_name: body.name, avatar, bot: 1, created_at: row.created_at })
        .execute();
      await trx.insertInto('webhooks').values(row).execute();
      await recordAudit(ctx, trx, {
        guildId: row.guild_id,
        userId: auth.user.id,
        action: AuditLogEvent.WEBHOOK_CREATE,
        targetId: id,
        changes: [
          { key: 'name', new_value: row.name },
          { key: 'channel_id', new_value: row.channel_id },
        ],
        reason: auditReason(request),
      });
    });
    return one(row, { token });
  });

  route(webhookApi.listChannel, async ({ access }) => {
    requireWebhookTarget(access.channel);
    return toWebhooks(await db.selectFrom('webhooks').selectAll().where('channel_id', '=', access.channel.id).orderBy('id').execute());
  });

  route(webhookApi.listGuild, async ({ auth, params }) => {
    const rows = await db.selectFrom('webhooks').selectAll().where('guild_id', '=', params.guild_id).orderBy('id').execute();
    // Those of channels the caller may manage webhooks in (Manage Webhooks in the server, less what overwrites take away).
    const manageable = await Promise.all(
      rows.map((row) =>
        webhookToManage(db, row.id, auth.user.id).then(
          () => row,
          () => null,
        ),
      ),
    );
    return toWebhooks(manageable.filter((row): row is WebhookRow => row !== null));
  });

  route(webhookApi.get, async ({ auth, params }) => one((await webhookToManage(db, params.webhook_id, auth.user.id)).webhook));

  route(webhookApi.update, async ({ auth, params, body, request }) => {
    const { webhook } = await webhookToManage(db, params.webhook_id, auth.user.id);
    const [user] = (await usersByIds(db, [webhook.id])).values();
    let avatar = user?.avatar ?? null;
    if (body.avatar !== undefined) avatar = body.avatar === null ? null : await storeSquareImage(ctx.files, 'avatars', webhook.id, decodeDataUri(body.avatar));
    const name = body.name ?? webhook.name;
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('webhooks').set({ name }).where('id', '=', webhook.id).execute();
      await trx.updateTable('users').set({ global_name: name, avatar }).where('id', '=', webhook.id).execute();
      if (name !== webhook.name) {
        await recordAudit(ctx, trx, {
          guildId: webhook.guild_id,
          userId: auth.user.id,
          action: AuditLogEvent.WEBHOOK_UPDATE,
          targetId: webhook.id,
          changes: [{ key: 'name', old_value: webhook.name, new_value: name }],
          reason: auditReason(request),
        });
      }
    });
    if (user?.avatar && avatar !== user.avatar) await ctx.files.delete(imageKey('avatars', webhook.id, user.avatar));
    return one({ ...webhook, name });
  });

  async function remove(webhook: WebhookRow, actorId: Snowflake | null, reason: string | undefined): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhooks').where('id', '=', webhook.id).execute();
      await recordAudit(ctx, trx, {
        guildId: webhook.guild_id,
        userId: actorId ?? webhook.id,
        action: AuditLogEvent.WEBHOOK_DELETE,
        targetId: webhook.id,
        changes: [{ key: 'name', old_value: webhook.name }],
        reason: reason ?? null,
      });
    });
  }

  route(webhookApi.delete, async ({ auth, params, request }) => {
    const { webhook } = await webhookToManage(db, params.webhook_id, auth.user.id);
    await remove(webhook, auth.user.id, auditReason(request) ?? undefined);
  });

  route(webhookApi.getWithToken, async ({ params }) => one(await webhookByToken(db, params.webhook_id, params.webhook_token), { token: params.webhook_token, anonymous: true }));

  route(webhookApi.deleteWithToken, async ({ params }) => {
    await remove(await webhookByToken(db, params.webhook_id, params.webhook_token), null, undefined);
  });

  route(webhookApi.execute, async ({ params, query, body, reply }) => {
    const webhook = await webhookByToken(db, params.webhook_id, params.webhook_token);
    const message = await poster.post(webhook, body);
    // Discord's default: 204, the message only when asked to wait for it.
    if (query.wait !== 'true') return reply.status(204).send() as never;
    return message;
  });

  route(webhookApi.getMessage, async ({ params }) => {
    const webhook = await webhookByToken(db, params.webhook_id, params.webhook_token);
    return poster.show(await poster.find(webhook, params.message_id));
  });

  route(webhookApi.editMessage, async ({ params, body }) => poster.edit(await webhookByToken(db, params.webhook_id, params.webhook_token), params.message_id, body));

  route(webhookApi.deleteMessage, async ({ params }) => {
    await poster.remove(await webhookByToken(db, params.webhook_id, params.webhook_token), params.message_id);
  });
}
