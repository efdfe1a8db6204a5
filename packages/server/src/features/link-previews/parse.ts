import type { Embed } from '@parley/protocol';
import { Parser } from 'htmlparser2';

const TITLE_MAX = 256;
const DESCRIPTION_MAX = 350;

/**
 * A page's preview from its OpenGraph tags (falling back to Twitter's, then to <title> and the
 * meta description), as a `link` embed; null when it names nothing worth showing. Only the head
 * is read; entities are decoded by the parser; text is trimmed to the embed's limits.
 */
export function embedFromPage(pageUrl: string, html: string): Embed | null {
  const meta = new Map<string, string>();
  let title = '';
  let inTitle = false;
  let done = false;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (done) return;
        if (name === 'body') done = true;
        if (name === 'title') inTitle = true;
        if (name !== 'meta') return;
        const key = (attributes.property ?? attributes.name ?? '').toLowerCase();
        const content = attributes.content;
        if (key && content !== undefined && !meta.has(key)) meta.set(key, content);
      },
      ontext(text) {
        if (inTitle && !done) title += text;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (name === 'head') done = true;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();

  const pick = (...keys: string[]) => keys.map((k) => clean(meta.get(k) ?? '')).find((v) => v !== '') ?? '';
  const name = pick('og:title', 'twitter:title') || clean(title);
  const description = pick('og:description', 'twitter:description', 'description');
  if (!name && !description) return null;
  const image = absoluteHttp(pick('og:image', 'og:image:url', 'twitter:image'), pageUrl);
  const siteName = pick('og:site_name');
  return {
    type: 'link',
    url: pageUrl,
    ...(name && { title: shorten(name, TITLE_MAX) }),
    ...(description && { description: shorten(description, DESCRIPTION_MAX) }),
    ...(siteName && { provider: { name: shorten(siteName, TITLE_MAX) } }),
    ...(image && { thumbnail: { url: image } }),
  };
}

/** One line of plain text, without control characters. */
function clean(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function shorten(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1).trimEnd()}…`;
}

/** An http(s) URL, made absolute against the page; empty if it is anything else. */
function absoluteHttp(value: string, base: string): string {
  if (!value) return '';
  try {
    const url = new URL(value, base);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.toString().length <= 2048 ? url.toString() : '';
  } catch {
    return '';
  }
}
