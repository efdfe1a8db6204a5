import type { Embed, Message } from '@parley/protocol';

/**
 * What the web client needs of a message's embeds beyond drawing them: their colour, safe
 * links, and a one-line summary where a message is shown shortened (replies, pins, the
 * announcer, notifications) and has no text of its own.
 */

/** An embed's colour as CSS (`#rrggbb`), or null for the default bar. */
export function embedColor(color: number | undefined): string | null {
  if (color === undefined || !Number.isInteger(color) || color < 0 || color > 0xffffff) return null;
  return `#${color.toString(16).padStart(6, '0')}`;
}

/**
 * A link an embed may open: http(s) only. The server accepts nothing else; this is the second
 * lock, so a `javascript:` or `data:` URL never becomes a link whatever reaches the client.
 */
export function safeLink(url: string | undefined): string | null {
  if (!url || !/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).href;
  } catch {
    return null;
  }
}

/** The host a link leads to, shown beside links to images (which are never loaded here). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** What names an embed in one line: its title, else its author, site or the start of its text. */
export function embedLabel(embed: Embed): string | null {
  const firstLine = embed.description
    ?.split('\n')
    .find((line) => line.trim())
    ?.trim();
  const label = embed.title?.trim() || embed.author?.name.trim() || embed.provider?.name?.trim() || firstLine || embed.fields?.[0]?.name.trim() || embed.footer?.text.trim();
  if (!label) return null;
  return label.length > 100 ? `${label.slice(0, 99)}…` : label;
}

/** A message without text summarised by its first embed ("" when it has none). */
export function embedSummary(message: Pick<Message, 'embeds'>): string {
  const embeds = message.embeds ?? [];
  if (!embeds.length) return '';
  return embeds.map(embedLabel).find((label) => label !== null) ?? 'An embed';
}
