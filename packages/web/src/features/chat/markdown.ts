import DOMPurify from 'dompurify';
import MarkdownIt, { type StateInline } from 'markdown-it';
import type { MentionNames } from './mentionText';

/**
 * Discord-flavoured Markdown: bold, italics, strikethrough, code and code blocks, quotes,
 * lists, headings, links, ||spoilers|| and <@mentions>. Raw HTML is never interpreted (it shows
 * as text), links open in a new tab without access to this page, and the result passes through
 * DOMPurify before it reaches the DOM.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.disable(['table', 'image', 'hr', 'lheading', 'reference']);

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
    state.push('spoiler_open', 'span', 1).attrs = [['class', 'spoiler'], ['tabindex', '0'], ['role', 'button'], ['aria-label', 'Spoiler: click to reveal']];
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

let names: MentionNames = { user: () => null, channel: () => null, role: () => null };

md.renderer.rules.mention = (tokens, index) => {
  const { kind, id } = tokens[index]!.meta as { kind: string; id: string };
  const escape = md.utils.escapeHtml;
  if (kind === 'everyone') return `<span class="mention">@${escape(id)}</span>`;
  if (kind === '#') return `<span class="mention" data-channel-id="${id}">#${escape(names.channel(id) ?? 'unknown-channel')}</span>`;
  if (kind === '@&') return `<span class="mention">@${escape(names.role(id) ?? 'unknown-role')}</span>`;
  return `<span class="mention" data-user-id="${id}">@${escape(names.user(id) ?? 'unknown-user')}</span>`;
};

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index]!.attrSet('target', '_blank');
  tokens[index]!.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, index, options, env, self);
};

const ALLOWED_TAGS = ['a', 'b', 'strong', 'i', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'p', 'br', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'span'];
const ALLOWED_ATTR = ['href', 'target', 'rel', 'class', 'tabindex', 'role', 'aria-label', 'data-user-id', 'data-channel-id'];

/** Message text as safe HTML. `mentionNames` turns IDs into the names people know. */
export function renderMarkdown(text: string, mentionNames: MentionNames): string {
  names = mentionNames;
  const html = md.render(text);
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i });
}
