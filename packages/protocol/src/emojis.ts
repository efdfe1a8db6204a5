import { z } from 'zod';
import { Snowflake } from './ids';
import { User } from './users';

/**
 * A server's custom emoji, in Discord's shape: written `<:name:id>` in messages (`<a:name:id>`
 * when animated) and `name:id` as a reaction. Made by members with Manage Expressions; everyone
 * in the server uses them. The image is at /cdn/emojis/{id}/{image}.webp.
 */
export const EmojiLimits = { perGuild: 50, nameMin: 2, nameMax: 32 } as const;

export const EmojiName = z.string().min(EmojiLimits.nameMin).max(EmojiLimits.nameMax).regex(/^\w+$/, 'Letters, digits and underscores only');

export const Emoji = z.object({
  id: Snowflake,
  name: z.string(),
  roles: z.array(Snowflake),
  /** Who added it (to those who may manage them). */
  user: User.optional(),
  require_colons: z.boolean(),
  managed: z.boolean(),
  animated: z.boolean(),
  available: z.boolean(),
  /** Parley: the image's hash (/cdn/emojis/{id}/{image}.webp). */
  image: z.string(),
});
export type Emoji = z.infer<typeof Emoji>;

/** A custom emoji as a reaction key or path segment: `name:id`. */
export const CUSTOM_EMOJI_KEY = /^(\w{2,32}):(\d{1,20})$/;
/** A custom emoji in a message's text: `<:name:id>`, or `<a:name:id>` when animated. */
export const CUSTOM_EMOJI_IN_TEXT = /<(a?):(\w{2,32}):(\d{1,20})>/g;

export function parseCustomEmojiKey(key: string): { name: string; id: Snowflake } | null {
  const match = CUSTOM_EMOJI_KEY.exec(key);
  return match ? { name: match[1]!, id: match[2]! as Snowflake } : null;
}

/** How a reaction's emoji is named in the API's paths (and told apart): a Unicode emoji as it is, a custom one as `name:id`. */
export function reactionKeyOf(emoji: { id: string | null; name: string }): string {
  return emoji.id ? `${emoji.name}:${emoji.id}` : emoji.name;
}

/** A custom emoji's image (under the instance's base URL). */
export function emojiImagePath(emoji: Pick<Emoji, 'id' | 'image'>): string {
  return `/cdn/emojis/${emoji.id}/${emoji.image}.webp`;
}
