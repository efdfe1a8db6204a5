import DOMPurify from 'dompurify';
import MarkdownIt, { type StateInline } from 'markdown-it';
import type { MentionNames } from '@parley/sdk';

/**
 * Discord-flavoured Markdown: bold, italics, strikethrough, code and code blocks, quotes,
 * lists, headings, links, ||spoilers|| and <@mentions>. Raw HTML is never interpreted (it shows
 * as text), links open in a new tab without access to this page, and the result passes through
 * DOMPurify before it reaches the DOM.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.disable(['table', 'image', 'hr', 'lheading', 'reference']);

/** `preview`: rendering a one-line preview, where links are plain text and spoilers no controls. */
type RenderEnv = { preview?: boolean };
const isPreview = (env: unknown) => (env as RenderEnv | undefined)?.preview === true;

/**
 * markdown-it's plain-text rule swallows runs of characters up to the next one some rule may
 * start with; `|` is not among them, so spoilers need a text rule that also stops there.
 */
const STOP_CHARS = new Set([10, 33, 35, 36, 37, 38, 42, 43, 45, 58, 60, 61, 62, 64, 91, 92, 93, 94, 95, 96, 123, 124, 125, 126]);
md.inline.ruler.at('text', (state: StateInline, silent: boolean) => {
  let pos = state.pos;
  while (pos < state.posMax && !STOP_CHARS.has(state.src.charCodeAt(pos))) pos++;
  if (pos === state.pos) return false;
  if (!silent) state.pending += state.src.slice(state.pos, pos);
  state.pos = pos;
  return true;
});

/** `||text||` → a spoiler hidden until clicked. */
md.inline.ruler.before('emphasis', 'spoiler', (state: StateInline, silent: boolean) => {
  const start = state.pos;
  if (state.src.slice(start, start + 2) !== '||') return false;
  const end = state.src.indexOf('||', start + 2);
  if (end < 0 || end === start + 2) return false;
  if (!silent) {
    // In a one-line preview the spoiler stays hidden but is not a control of its own.
    state.push('spoiler_open', 'span', 1).attrs = isPreview(state.env)
      ? [['class', 'spoiler']]
      : [
          ['class', 'spoiler'],
          ['tabindex', '0'],
          ['role', 'button'],
          ['aria-label', 'Spoiler: click to reveal'],
        ];
    const oldMax = state.posMax;
    state.pos = start + 2;
    state.posMax = end;
    state.md.inline.tokenize(state);
    state.posMax = oldMax;
    state.push('spoiler_close', 'span', -1);
  }
  state.pos = end + 2;
  return true;
});

/** `<@id>`, `<@!id>`, `<@&id>`, `<#id>` → mention pills; `@everyone` / `@here` highlighted. */
md.inline.ruler.before('emphasis', 'mention', (state: StateInline, silent: boolean) => {
  const rest = state.src.slice(state.pos);
  const match = /^<(@!?|@&|#)(\d{1,20})>/.exec(rest) ?? /^@(everyone|here)\b/.exec(rest);
  if (!match) return false;
  if (!silent) {
    const token = state.push('mention', '', 0);
    token.meta = match[0].startsWith('<') ? { kind: match[1]!, id: match[2]! } : { kind: 'everyone', id: match[1]! };
  }
  state.pos += match[0].length;
  return true;
});

const EMOJI_IMAGE = /^\/cdn\/emojis\/\d{1,20}\/(?:a_)?[0-9a-f]{32}\.webp$/;

/** `<:name:id>` (`<a:name:id>`) → the server's emoji as an image, or `:name:` where its image is unknown. */
md.inline.ruler.before('emphasis', 'custom_emoji', (state: StateInline, silent: boolean) => {
  const match = /^<(a?):(\w{2,32}):(\d{1,20})>/.exec(state.src.slice(state.pos));
  if (!match) return false;
  if (!silent) state.push('custom_emoji', '', 0).meta = { name: match[2]!, id: match[3]! };
  state.pos += match[0].length;
  return true;
});

md.renderer.rules.custom_emoji = (tokens, index) => {
  const { name, id } = tokens[index]!.meta as { name: string; id: string };
  const label = md.utils.escapeHtml(`:${name}:`);
  const image = names.emoji?.(id);
  // Only this server's own emoji images: nothing is ever loaded from another host.
  return image && EMOJI_IMAGE.test(image) ? `<img class="custom-emoji" src="${md.utils.escapeHtml(image)}" alt="${label}" title="${label}" loading="lazy">` : label;
};

let names: MentionNames = { user: () => null, channel: () => null, role: () => null };

md.renderer.rules.mention = (tokens, index, _options, env) => {
  const { kind, id } = tokens[index]!.meta as { kind: string; id: string };
  const escape = md.utils.escapeHtml;
  if (kind === 'everyone') return `<span class="mention">@${escape(id)}</span>`;
  if (kind === '#') return `<span class="mention" data-channel-id="${id}">#${escape(names.channel(id) ?? 'unknown-channel')}</span>`;
  if (kind === '@&') return `<span class="mention" data-role-id="${id}">@${escape(names.role(id) ?? 'unknown-role')}</span>`;
  // A person's mention opens their profile card (MessageItem handles the click and Enter).
  const control = isPreview(env) ? '' : ' tabindex="0" role="button"';
  return `<span class="mention" data-user-id="${id}"${control}>@${escape(names.user(id) ?? 'unknown-user')}</span>`;
};

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
const defaultLinkClose = md.renderer.rules.link_close ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
md.renderer.rules.link_close = (tokens, index, options, env, self) => (isPreview(env) ? '' : defaultLinkClose(tokens, index, options, env, self));
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  if (isPreview(env)) return '';
  tokens[index]!.attrSet('target', '_blank');
  tokens[index]!.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, index, options, env, self);
};

const ALLOWED_TAGS = ['a', 'b', 'strong', 'i', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'p', 'br', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'span', 'img'];
const ALLOWED_ATTR = ['href', 'target', 'rel', 'class', 'tabindex', 'role', 'aria-label', 'data-user-id', 'data-channel-id', 'data-role-id', 'src', 'alt', 'title', 'loading'];
/** Links out, and this server's custom emoji images (the rule above emits no other image). */
const ALLOWED_URI = /^(?:https?:|mailto:|\/cdn\/emojis\/)/i;

/** Message text as safe HTML. `mentionNames` turns IDs into the names people know. */
export function renderMarkdown(text: string, mentionNames: MentionNames): string {
  names = mentionNames;
  const html = md.render(text);
  // DOMPurify checks attributes it does not know to be URI-safe against ALLOWED_URI_REGEXP:
  // without ADD_URI_SAFE_ATTR, `tabindex="0"` failed it, and spoilers and mentions could not be
  // reached with the keyboard.
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOWED_URI_REGEXP: ALLOWED_URI, ADD_URI_SAFE_ATTR: ['tabindex'] });
}

/** What a one-line preview keeps: text styling, code, spoilers and mentions; no links or blocks. */
const INLINE_TAGS = ['strong', 'em', 's', 'del', 'code', 'span'];
const INLINE_ATTR = ['class', 'data-user-id', 'data-channel-id'];

/**
 * A message as one line of safe HTML, for the quote above a reply: inline formatting kept,
 * block structure (code fences, quotes, lists, headings, line breaks) flattened to text on one
 * line, links reduced to their text (the preview is itself a button). Shortened to `max`
 * characters of source first.
 */
export function renderInlineMarkdown(text: string, mentionNames: MentionNames, max = 300): string {
  // A one-line preview shows custom emoji as `:name:` (it keeps no images).
  names = { ...mentionNames, emoji: () => null };
  const flat = text
    // A fenced block becomes inline code (its language tag dropped).
    .replace(/```[^\S\n]*[\w+#.-]*[^\S\n]*\n([\s\S]*?)(?:\n?```|$)/g, (_, code: string) => `\`${code.replace(/`/g, '').replace(/\s+/g, ' ').trim()}\``)
    // Block markers at the start of a line: quotes, headings, list bullets.
    .replace(/^[^\S\n]*(?:>+[^\S\n]?|#{1,6}[^\S\n]+|[-*+][^\S\n]+|\d+[.)][^\S\n]+)/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  const env: RenderEnv = { preview: true };
  const html = md.renderInline(short, env);
  return DOMPurify.sanitize(html, { ALLOWED_TAGS: INLINE_TAGS, ALLOWED_ATTR: INLINE_ATTR });
}
