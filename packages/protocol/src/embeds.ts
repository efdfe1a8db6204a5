import { z } from 'zod';
import { text } from './limits';

/**
 * Rich embeds in Discord's shape (the part webhooks and bots send): a coloured card with a
 * title, text, fields, author, footer and links. Discord's limits, so what a Discord library
 * builds fits: each field's length, 25 fields, 10 embeds a message, 6,000 characters in all.
 * Image URLs are kept and shown as links: clients do not load images from other hosts.
 */
export const EmbedLimits = {
  perMessage: 10,
  titleMax: 256,
  descriptionMax: 4096,
  fieldsMax: 25,
  fieldNameMax: 256,
  fieldValueMax: 1024,
  footerMax: 2048,
  authorNameMax: 256,
  urlMax: 2048,
  /** Every title, description, field, footer and author name of a message's embeds together. */
  totalCharsMax: 6000,
} as const;

/** An http(s) URL: embeds link out, never to javascript: or data:. */
const EmbedUrl = z
  .string()
  .max(EmbedLimits.urlMax)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'Must be an http(s) URL');

const EmbedMedia = z.object({ url: EmbedUrl });

export const Embed = z.object({
  /** "rich": sent by a webhook or bot; "link": a link's preview, made by the server (features/link-previews). */
  type: z.enum(['rich', 'link']).default('rich'),
  title: text(EmbedLimits.titleMax).optional(),
  description: text(EmbedLimits.descriptionMax).optional(),
  url: EmbedUrl.optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  color: z.number().int().min(0).max(0xffffff).optional(),
  footer: z.object({ text: text(EmbedLimits.footerMax), icon_url: EmbedUrl.optional() }).optional(),
  image: EmbedMedia.optional(),
  thumbnail: EmbedMedia.optional(),
  author: z.object({ name: text(EmbedLimits.authorNameMax), url: EmbedUrl.optional(), icon_url: EmbedUrl.optional() }).optional(),
  /** The site a link preview is from (its og:site_name). */
  provider: z.object({ name: text(EmbedLimits.authorNameMax).optional(), url: EmbedUrl.optional() }).optional(),
  fields: z
    .array(z.object({ name: text(EmbedLimits.fieldNameMax).min(1), value: text(EmbedLimits.fieldValueMax).min(1), inline: z.boolean().optional() }))
    .max(EmbedLimits.fieldsMax)
    .optional(),
});
export type Embed = z.infer<typeof Embed>;

/** The characters Discord counts against a message's embed total. */
export function embedChars(embed: z.input<typeof Embed>): number {
  const fields = (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0);
  return (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0) + (embed.author?.name.length ?? 0) + fields;
}

/** A message's embeds: at most 10, 6,000 characters in all. */
export const Embeds = z
  .array(Embed)
  .max(EmbedLimits.perMessage)
  .refine((embeds) => embeds.reduce((sum, e) => sum + embedChars(e), 0) <= EmbedLimits.totalCharsMax, `Embeds may hold at most ${EmbedLimits.totalCharsMax} characters in all`);
