import { z } from 'zod';
import { Embeds } from './embeds';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { AllowedMentions, Message, MessageContent } from './messages';
import { defineRoute } from './route';
import { ImageDataUri, User } from './users';

/**
 * Incoming webhooks in Discord's shape: a URL with a secret token that posts into one channel,
 * so other tools (CI, monitoring, a Discord library's WebhookClient) can write to Parley.
 * Made per channel by members with Manage Webhooks; the token is shown when it is made (and
 * to managers), and deleting the webhook stops its URL at once. A subpath of its own
 * (`@parley/protocol/webhooks`): clients load it only where webhooks are managed.
 */
export const WebhookLimits = {
  nameMax: 80,
  perChannel: 15,
} as const;

export const Webhook = z.object({
  id: Snowflake,
  /** 1: incoming (Discord's only other kinds follow channels or belong to applications). */
  type: z.literal(1),
  guild_id: Snowflake,
  channel_id: Snowflake,
  /** Who made it (left out when read with the token). */
  user: User.optional(),
  name: z.string(),
  /** Avatar hash, as a user's: /cdn/avatars/{id}/{avatar}.webp. */
  avatar: z.string().nullable(),
  /** The secret half of its URL (to managers, and when read with the token). */
  token: z.string().optional(),
  application_id: z.null(),
  /** The URL to post to (with the token), where the token is shown. */
  url: z.string().optional(),
});
export type Webhook = z.infer<typeof Webhook>;

const WebhookName = line(WebhookLimits.nameMax, 1).refine((name) => !/clyde|discord/i.test(name), 'Must not contain "clyde" or "discord"');

export const CreateWebhookBody = z.object({
  name: WebhookName,
  avatar: ImageDataUri.nullable().optional(),
});
export const UpdateWebhookBody = z.object({
  name: WebhookName.optional(),
  avatar: ImageDataUri.nullable().optional(),
});

/** What a webhook posts: Discord's body (tts, flags, components and files are not taken yet). */
export const ExecuteWebhookBody = z
  .object({
    content: MessageContent.optional(),
    /** Shown as the author's name instead of the webhook's, for this message. */
    username: line(WebhookLimits.nameMax, 1).optional(),
    /** Accepted for Discord libraries; not shown (clients load no images from other hosts). */
    avatar_url: z.string().max(2048).optional(),
    tts: z.boolean().optional(),
    embeds: Embeds.optional(),
    allowed_mentions: AllowedMentions.optional(),
  })
  .refine((b) => (b.content ?? '').trim() !== '' || (b.embeds?.length ?? 0) > 0, { message: 'Give content or embeds', path: ['content'] });

/** Editing a message the webhook posted: its text, its embeds (null or [] clears them). */
export const EditWebhookMessageBody = z.object({
  content: MessageContent.nullable().optional(),
  embeds: Embeds.nullable().optional(),
  allowed_mentions: AllowedMentions.optional(),
});

const WebhookParams = z.object({ webhook_id: Snowflake });
const TokenParams = z.object({
  webhook_id: Snowflake,
  webhook_token: z
    .string()
    .min(1)
    .max(Limits.inviteCodeMax * 2),
});
const MessageParams = TokenParams.extend({ message_id: Snowflake });

export const webhookRoutes = {
  create: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/webhooks',
    summary: 'Make an incoming webhook for a text channel (Manage Webhooks); the answer holds its token and URL',
    tag: 'Webhooks',
    auth: 'user',
    requires: { channel: ['MANAGE_WEBHOOKS'] },
    params: z.object({ channel_id: Snowflake }),
    body: CreateWebhookBody,
    bodyLimit: Limits.imageBodyMaxBytes,
    response: Webhook,
  }),
  listChannel: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/webhooks',
    summary: "A channel's webhooks (Manage Webhooks)",
    tag: 'Webhooks',
    auth: 'user',
    requires: { channel: ['MANAGE_WEBHOOKS'] },
    params: z.object({ channel_id: Snowflake }),
    response: z.array(Webhook),
  }),
  listGuild: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/webhooks',
    summary: "A server's webhooks (Manage Webhooks)",
    tag: 'Webhooks',
    auth: 'user',
    requires: { guild: ['MANAGE_WEBHOOKS'] },
    params: z.object({ guild_id: Snowflake }),
    response: z.array(Webhook),
  }),
  get: defineRoute({
    method: 'GET',
    path: '/webhooks/:webhook_id',
    summary: 'A webhook (Manage Webhooks in its channel)',
    tag: 'Webhooks',
    auth: 'user',
    params: WebhookParams,
    response: Webhook,
  }),
  update: defineRoute({
    method: 'PATCH',
    path: '/webhooks/:webhook_id',
    summary: 'Rename a webhook or change its avatar (Manage Webhooks in its channel)',
    tag: 'Webhooks',
    auth: 'user',
    params: WebhookParams,
    body: UpdateWebhookBody,
    bodyLimit: Limits.imageBodyMaxBytes,
    response: Webhook,
  }),
  delete: defineRoute({
    method: 'DELETE',
    path: '/webhooks/:webhook_id',
    summary: 'Delete a webhook: its URL stops working at once (Manage Webhooks in its channel)',
    tag: 'Webhooks',
    auth: 'user',
    params: WebhookParams,
    response: null,
  }),
  getWithToken: defineRoute({
    method: 'GET',
    path: '/webhooks/:webhook_id/:webhook_token',
    summary: 'A webhook, read with its token (no account needed)',
    tag: 'Webhooks',
    auth: 'none',
    params: TokenParams,
    response: Webhook,
  }),
  deleteWithToken: defineRoute({
    method: 'DELETE',
    path: '/webhooks/:webhook_id/:webhook_token',
    summary: 'Delete a webhook with its token (no account needed)',
    tag: 'Webhooks',
    auth: 'none',
    params: TokenParams,
    response: null,
  }),
  execute: defineRoute({
    method: 'POST',
    path: '/webhooks/:webhook_id/:webhook_token',
    summary: 'Post a message as the webhook: 204, or the message with ?wait=true (rate limited per webhook)',
    tag: 'Webhooks',
    auth: 'none',
    params: TokenParams,
    query: z.object({ wait: z.enum(['true', 'false']).optional() }),
    body: ExecuteWebhookBody,
    response: Message,
  }),
  getMessage: defineRoute({
    method: 'GET',
    path: '/webhooks/:webhook_id/:webhook_token/messages/:message_id',
    summary: 'A message the webhook posted',
    tag: 'Webhooks',
    auth: 'none',
    params: MessageParams,
    response: Message,
  }),
  editMessage: defineRoute({
    method: 'PATCH',
    path: '/webhooks/:webhook_id/:webhook_token/messages/:message_id',
    summary: 'Edit a message the webhook posted (its text and embeds)',
    tag: 'Webhooks',
    auth: 'none',
    params: MessageParams,
    body: EditWebhookMessageBody,
    response: Message,
  }),
  deleteMessage: defineRoute({
    method: 'DELETE',
    path: '/webhooks/:webhook_id/:webhook_token/messages/:message_id',
    summary: 'Delete a message the webhook posted',
    tag: 'Webhooks',
    auth: 'none',
    params: MessageParams,
    response: null,
  }),
};
