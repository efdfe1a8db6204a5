import { createHash, timingSafeEqual } from 'node:crypto';
import { ChannelType, Permissions, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelRow, Tables, WebhookRow } from '../db/tables';
import { ApiError } from '../http/errors';
import { type ChannelAccess, channelAccess, requirePermission } from './access';

/*
 * Who may do what with incoming webhooks (features/webhooks):
 * - managing one (making, listing, renaming, deleting) takes Manage Webhooks in its channel, which
 *   is a content permission: a private channel's non-members cannot aim a webhook into it;
 * - using one (posting, reading or deleting it by its URL) takes its token alone, compared in
 *   constant time against the stored hash; a deleted webhook's URL stops at once (no cache);
 * - a webhook posts only into a server's text channel, never an end-to-end encrypted one (its
 *   text would be readable by the server).
 */

export const hashWebhookToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A channel a webhook may be made for and post into (the routes' `requires` checked Manage
 * Webhooks), or an error saying why not: a server's text channel that is not encrypted.
 */
export function requireWebhookTarget(channel: Pick<ChannelRow, 'type' | 'e2ee'>): void {
  if (channel.type !== ChannelType.GUILD_TEXT) throw new ApiError('MISSING_PERMISSIONS', { message: 'Webhooks post into text channels only' });
  if (channel.e2ee === 1) throw new ApiError('PLAINTEXT_REFUSED', { message: 'This channel is end-to-end encrypted: a webhook would post text the server can read' });
}

/** A webhook the caller may manage (Manage Webhooks in its channel); unknown otherwise. */
export async function webhookToManage(db: Kysely<Tables>, webhookId: Snowflake, userId: Snowflake): Promise<{ webhook: WebhookRow; access: ChannelAccess }> {
  const webhook = await db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
  if (!webhook) throw new ApiError('UNKNOWN_WEBHOOK');
  const access = await channelAccess(db, webhook.channel_id, userId).catch((error: unknown) => {
    // A channel the caller may not know of hides its webhooks too.
    throw error instanceof ApiError && error.status === 404 ? new ApiError('UNKNOWN_WEBHOOK') : error;
  });
  requirePermission(access, Permissions.VIEW_CHANNEL, Permissions.MANAGE_WEBHOOKS);
  return { webhook, access };
}

/** The webhook this URL names, if its token is right: unknown webhook (10015) or invalid token (50027) otherwise. */
export async function webhookByToken(db: Kysely<Tables>, webhookId: Snowflake, token: string): Promise<WebhookRow> {
  const webhook = await db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
  if (!webhook) throw new ApiError('UNKNOWN_WEBHOOK');
  const given = Buffer.from(hashWebhookToken(token), 'hex');
  if (!timingSafeEqual(given, Buffer.from(webhook.token_hash, 'hex'))) throw new ApiError('INVALID_WEBHOOK_TOKEN');
  return webhook;
}
