import { z } from 'zod';
import { Emoji, EmojiName } from './emojis';
import { Snowflake } from './ids';
import { Limits } from './limits';
import { defineRoute } from './route';
import { ImageDataUri } from './users';

/*
 * The custom emoji routes (`@parley/protocol/emojis`): apart from the main entry, so clients load
 * them only where emoji are managed (the Emoji schema, which guild payloads carry, is in emojis.ts).
 */

export const CreateEmojiBody = z.object({
  name: EmojiName,
  /** PNG, JPEG, WebP or GIF as a data URI (animated GIF/WebP stay animated). */
  image: ImageDataUri,
  /** Discord's role restriction: not supported, must be empty. */
  roles: z.array(Snowflake).max(0).optional(),
});
export const UpdateEmojiBody = z.object({ name: EmojiName.optional() });

const GuildParams = z.object({ guild_id: Snowflake });
const EmojiParams = z.object({ guild_id: Snowflake, emoji_id: Snowflake });

export const emojiRoutes = {
  list: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/emojis',
    summary: "A server's custom emoji",
    tag: 'Emoji',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    response: z.array(Emoji),
  }),
  get: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/emojis/:emoji_id',
    summary: 'One custom emoji',
    tag: 'Emoji',
    auth: 'user',
    requires: { guild: [] },
    params: EmojiParams,
    response: Emoji,
  }),
  create: defineRoute({
    method: 'POST',
    path: '/guilds/:guild_id/emojis',
    summary: 'Add a custom emoji (Manage Expressions; at most 50 per server)',
    tag: 'Emoji',
    auth: 'user',
    requires: { guild: ['MANAGE_GUILD_EXPRESSIONS'] },
    params: GuildParams,
    body: CreateEmojiBody,
    bodyLimit: Limits.imageBodyMaxBytes,
    created: true,
    response: Emoji,
  }),
  update: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/emojis/:emoji_id',
    summary: 'Rename a custom emoji (Manage Expressions)',
    tag: 'Emoji',
    auth: 'user',
    requires: { guild: ['MANAGE_GUILD_EXPRESSIONS'] },
    params: EmojiParams,
    body: UpdateEmojiBody,
    response: Emoji,
  }),
  delete: defineRoute({
    method: 'DELETE',
    path: '/guilds/:guild_id/emojis/:emoji_id',
    summary: 'Delete a custom emoji (Manage Expressions): its reactions go with it',
    tag: 'Emoji',
    auth: 'user',
    requires: { guild: ['MANAGE_GUILD_EXPRESSIONS'] },
    params: EmojiParams,
    response: null,
  }),
};
