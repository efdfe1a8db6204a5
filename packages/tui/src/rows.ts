import { type Embed, type Message, MessageFlags, type Snowflake } from '@parley/protocol';
import { type MentionNames, type ParleyCache, type PendingMessage, displayNameOf, formatBytes, mentionsAsNames, mentionsAsText } from '@parley/sdk';
import type { Shown } from './encryption';
import { wrapSpans } from './layout';
import { type Span, parseMarkdown } from './markdown';
import { sanitize } from './sanitize';

/** One display row of the history pane. */
export interface Row {
  key: string;
  spans: Span[];
  /** The message this row belongs to (to scroll a found message into view). */
  messageId: string;
  dim?: boolean;
  quote?: boolean;
  codeBlock?: boolean;
}

/** How a person is called in a channel (the SDK's rule), sanitized: it is their text. */
export function displayName(cache: ParleyCache, userId: Snowflake, guildId: Snowflake | null | undefined, fallback?: Message['author']): string {
  const user = (guildId ? cache.membersOf(guildId).get(userId)?.user : undefined) ?? fallback;
  return sanitize(user ? displayNameOf(cache, user, guildId) : 'someone');
}

/** Mentions as names, for a channel of this server (or a DM). */
export function namesIn(cache: ParleyCache, guildId: Snowflake | null | undefined, message?: Pick<Message, 'mentions'>): MentionNames {
  return {
    user: (id) => {
      const known = message?.mentions.find((u) => u.id === id);
      return displayName(cache, id as Snowflake, guildId, known);
    },
    channel: (id) => {
      const name = cache.channels.get(id as Snowflake)?.name;
      return name ? sanitize(name) : null;
    },
    role: (id) => {
      const role = guildId ? cache.guilds.get(guildId)?.roles.find((r) => r.id === id) : undefined;
      return role ? sanitize(role.name) : null;
    },
  };
}

/** Message text as styled lines: sanitized first (escapes never reach the terminal), then mentions named, then Markdown. */
function bodyRows(key: string, messageId: string, text: string, width: number, spoilers: boolean): Row[] {
  const rows: Row[] = [];
  parseMarkdown(text, spoilers).forEach((line, i) => {
    wrapSpans(line.spans, width - 4).forEach((spans, j) =>
      rows.push({ key: `${key}.${i}.${j}`, messageId, spans: [{ text: '  ' }, ...spans], ...(line.quote && { quote: true }), ...(line.codeBlock && { codeBlock: true }) }),
    );
  });
  return rows;
}

const BAR = '  ┃ ';

/** A line of an embed, wrapped under its bar. */
function barRows(key: string, messageId: string, spans: Span[], width: number, extra: Partial<Row> = {}): Row[] {
  return wrapSpans(spans, width - BAR.length - 2).map((wrapped, j) => ({ key: `${key}.${j}`, messageId, spans: [{ text: BAR }, ...wrapped], ...extra }));
}

/** Markdown of an embed (its text, a field's value) as barred lines, mentions named. */
function barMarkdown(key: string, messageId: string, markdown: string, names: MentionNames, width: number, spoilers: boolean, lead: Span[] = []): Row[] {
  return parseMarkdown(sanitize(mentionsAsNames(markdown, names)), spoilers).flatMap((line, i) =>
    barRows(`${key}.${i}`, messageId, [...(i === 0 ? lead : []), ...(line.quote ? [{ text: '│ ' }] : []), ...line.spans], width, line.codeBlock ? { codeBlock: true } : {}),
  );
}

/**
 * A message's embeds (a webhook's or bot's cards, link previews) as text under a bar: site,
 * author, title and its link, the text (Markdown; a link preview's plain), fields as
 * "name: value", image links (nothing is fetched) and the footer with its time. All of it is
 * someone else's text: sanitized like a message.
 */
export function embedRows(key: string, messageId: string, embeds: readonly Embed[], names: MentionNames, width: number, spoilers: boolean): Row[] {
  const rows: Row[] = [];
  embeds.forEach((embed, e) => {
    const k = `${key}e${e}`;
    const line = (id: string, spans: Span[], extra: Partial<Row> = {}) => rows.push(...barRows(`${k}${id}`, messageId, spans, width, extra));
    if (embed.provider?.name) line('p', [{ text: sanitize(embed.provider.name) }], { dim: true });
    if (embed.author) line('a', [{ text: sanitize(embed.author.name), bold: true }]);
    if (embed.title) line('t', [{ text: sanitize(embed.title), bold: true }, ...(embed.url ? [{ text: ` ${sanitize(embed.url)}` }] : [])]);
    else if (embed.url) line('t', [{ text: sanitize(embed.url) }]);
    if (embed.description) {
      if (embed.type === 'link') line('d', [{ text: sanitize(embed.description).replace(/\s+/g, ' ') }]);
      else rows.push(...barMarkdown(`${k}d`, messageId, embed.description, names, width, spoilers));
    }
    (embed.fields ?? []).forEach((field, f) => rows.push(...barMarkdown(`${k}f${f}`, messageId, field.value, names, width, spoilers, [{ text: `${sanitize(field.name)}: `, bold: true }])));
    if (embed.image) line('i', [{ text: `[image] ${sanitize(embed.image.url)}` }], { dim: true });
    if (embed.thumbnail) line('m', [{ text: `[thumbnail] ${sanitize(embed.thumbnail.url)}` }], { dim: true });
    const time = embed.timestamp ? new Date(embed.timestamp) : null;
    const when = time && !Number.isNaN(time.getTime()) ? `${time.toLocaleDateString()} ${time.toTimeString().slice(0, 5)}` : '';
    const footer = [embed.footer ? sanitize(embed.footer.text) : '', when].filter(Boolean).join(' · ');
    if (footer) line('o', [{ text: footer }], { dim: true });
  });
  return rows;
}

/** How messages read: plain ones as they are, encrypted ones as this terminal opened them (encryption.ts). */
export interface MessageReader {
  show(message: Message): Shown;
  /** A reaction's name as shown: its emoji, or for a sealed one the emoji it opens to here. */
  reactionName(message: Message, name: string): string;
}

const plainReader: MessageReader = { show: (m) => ({ content: m.content ?? '', ...(m.file_offer && { fileOffer: m.file_offer }) }), reactionName: (_m, name) => name };

/**
 * The history pane's rows: per message a header (time, author, edited), the reply it answers,
 * its text, attachments (with the command that downloads them), embeds, the thread started from it and
 * reactions; then what the user sent that the server has not stored yet.
 */
export function rowsOf(cache: ParleyCache, messages: readonly Message[], pending: readonly PendingMessage[], width: number, spoilers: boolean, reader: MessageReader = plainReader): Row[] {
  const rows: Row[] = [];
  for (const m of messages) {
    const names = namesIn(cache, m.guild_id, m);
    const time = new Date(m.timestamp).toTimeString().slice(0, 5);
    const author = m.member?.nick ?? displayName(cache, m.author.id, m.guild_id, m.author);
    if (m.referenced_message) {
      const quoted = m.referenced_message;
      // A message of embeds alone is quoted by its first embed's title.
      const quotedText = reader.show(quoted).content || (quoted.embeds ?? []).find((e) => e.title)?.title || '';
      const text = sanitize(mentionsAsText(quotedText, namesIn(cache, m.guild_id, quoted), width - 20));
      rows.push({ key: `${m.id}q`, messageId: m.id, spans: [{ text: `╭ ${displayName(cache, quoted.author.id, m.guild_id, quoted.author)}: ${text}` }], dim: true });
    }
    const shown = reader.show(m);
    rows.push({
      key: `${m.id}h`,
      messageId: m.id,
      // Bots and webhooks are tagged, as in the web client.
      spans: [{ text: `${time} ` }, { text: sanitize(author), bold: true }, ...(m.author.bot ? [{ text: ' [BOT]' }] : []), ...(m.edited_timestamp ? [{ text: ' (edited)' }] : [])],
    });
    if (shown.closed) rows.push(...bodyRows(`${m.id}c`, m.id, shown.closed, width, false).map((row) => ({ ...row, dim: true })));
    rows.push(...bodyRows(m.id, m.id, sanitize(mentionsAsNames(shown.content, names)), width, spoilers));
    (m.attachments ?? []).forEach((file, i) => {
      // An encrypted message's files are opaque on the server: their names are in the opened text.
      const sealed = m.encrypted ? shown.files?.[i] : undefined;
      const name = sanitize(sealed?.name ?? file.filename);
      rows.push({ key: `${m.id}a${file.id}`, messageId: m.id, spans: [{ text: '  [file] ' }, { text: name, bold: true }, { text: ` ${formatBytes(sealed?.size ?? file.size)} · /download ${name}` }] });
    });
    // Sent peer to peer between browsers: the terminal has no WebRTC to fetch it with.
    if (shown.fileOffer) {
      rows.push({
        key: `${m.id}p`,
        messageId: m.id,
        spans: [{ text: '  [file] ' }, { text: sanitize(shown.fileOffer.filename), bold: true }, { text: ` ${formatBytes(shown.fileOffer.size)} · peer to peer: download it in the web client` }],
      });
    }
    // Unless their author suppressed them (Discord's SUPPRESS_EMBEDS).
    if ((m.flags & MessageFlags.SUPPRESS_EMBEDS) === 0) rows.push(...embedRows(m.id, m.id, m.embeds ?? [], names, width, spoilers));
    if (m.thread) {
      const count = m.thread.message_count ?? 0;
      rows.push({
        key: `${m.id}t`,
        messageId: m.id,
        spans: [{ text: `  [thread] ${sanitize(m.thread.name ?? '')} · ${count} ${count === 1 ? 'message' : 'messages'} · /thread ${sanitize(m.thread.name ?? '')}` }],
        dim: true,
      });
    }
    // A custom emoji reacts by name (the terminal draws no images).
    const reactions = (m.reactions ?? []).map((r) => `${sanitize(r.emoji.id ? `:${r.emoji.name}:` : reader.reactionName(m, r.emoji.name))} ${r.count}`).join('  ');
    if (reactions) rows.push({ key: `${m.id}r`, messageId: m.id, spans: [{ text: `  ${reactions}` }], dim: true });
  }
  for (const p of pending) {
    const names = namesIn(cache, cache.channels.get(p.channelId)?.guild_id);
    const state = p.state === 'failed' ? `not sent: ${sanitize(p.error ?? '')}` : p.state === 'queued' ? 'waiting to be sent' : 'sending…';
    rows.push({ key: `${p.nonce}h`, messageId: p.nonce, spans: [{ text: `--:-- ` }, { text: 'you', bold: true }, { text: ` (${state})` }], dim: true });
    rows.push(...bodyRows(p.nonce, p.nonce, sanitize(mentionsAsNames(p.content, names)), width, spoilers).map((row) => ({ ...row, dim: true })));
  }
  return rows;
}
