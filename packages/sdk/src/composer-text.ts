/**
 * The text logic of the composer's smarts, kept free of Vue and the DOM so it is easy to test:
 * which autocomplete (if any) the caret is in, replacing what was typed with the pick,
 * `:shortcode:` expansion, and turning `@username` / `#channel` into the `<@id>` / `<#id>` the
 * server understands (and back, to edit a message).
 */

export type TriggerKind = '@' | '#' | ':';

/** An autocomplete the caret is in: `text.slice(start, end)` is the trigger and its query. */
export interface Trigger {
  kind: TriggerKind;
  query: string;
  start: number;
  end: number;
}

/** What may come right before a trigger: the start of the text, a space, or an opening bracket. */
const BOUNDARY = String.raw`(?:^|(?<=[\s(\[{"']))`;
const TRIGGERS: [TriggerKind, RegExp][] = [
  // Usernames are letters, digits, `_` and `.`; display names are matched by their words.
  ['@', new RegExp(`${BOUNDARY}@([\\p{L}\\p{N}_.]{0,32})$`, 'u')],
  ['#', new RegExp(`${BOUNDARY}#([\\p{L}\\p{N}_-]{0,100})$`, 'u')],
  // Two letters at least, so times ("at 10:30") and smileys (":)") do not open a list.
  [':', new RegExp(`${BOUNDARY}:([a-z0-9_+-]{2,40})$`, 'i')],
];

/** A stretch of the text that is, or is not, Markdown code (where nothing is completed). */
export interface Segment {
  text: string;
  code: boolean;
}

/** Splits text into code (``` blocks and `inline` spans) and the rest. */
export function splitCode(text: string): Segment[] {
  const segments: Segment[] = [];
  const pattern = /```[\s\S]*?(?:```|$)|`[^`\n]*`/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) segments.push({ text: text.slice(last, match.index), code: false });
    segments.push({ text: match[0], code: true });
    last = match.index + match[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), code: false });
  return segments;
}

/**
 * Whether the caret sits inside code: in a code block not closed before it, or after an
 * opening backtick on its line (the inline span being typed).
 */
function inCode(text: string, caret: number): boolean {
  const last = splitCode(text.slice(0, caret)).at(-1);
  if (!last) return false;
  if (last.code) return last.text.startsWith('```') && !(last.text.length >= 6 && last.text.endsWith('```'));
  const line = last.text.slice(last.text.lastIndexOf('\n') + 1);
  return (line.match(/`/g)?.length ?? 0) % 2 === 1;
}

/** The autocomplete the caret is in, if any. */
export function findTrigger(text: string, caret: number): Trigger | null {
  const before = text.slice(0, caret);
  for (const [kind, pattern] of TRIGGERS) {
    const match = pattern.exec(before);
    if (!match) continue;
    if (inCode(text, caret)) return null;
    return { kind, query: match[1]!, start: caret - match[0].length, end: caret };
  }
  return null;
}

/** Replaces the trigger with the pick, followed by one space; the caret goes after it. */
export function applyCompletion(text: string, trigger: Pick<Trigger, 'start' | 'end'>, insertion: string): { text: string; caret: number } {
  const after = text.slice(trigger.end);
  const spaced = /^\s/.test(after) ? insertion : `${insertion} `;
  return { text: text.slice(0, trigger.start) + spaced + after, caret: trigger.start + spaced.length + (spaced === insertion ? 1 : 0) };
}

const SHORTCODE_BEFORE_CARET = new RegExp(`${BOUNDARY}:([a-z0-9_+-]{2,40}):$`, 'i');

/**
 * When the colon that closes a known `:shortcode:` was just typed, the text with the emoji in
 * its place; otherwise null (unknown names and code stay as typed).
 */
export function expandShortcode(text: string, caret: number, emojiFor: (name: string) => string | undefined): { text: string; caret: number } | null {
  const before = text.slice(0, caret);
  const match = SHORTCODE_BEFORE_CARET.exec(before);
  if (!match) return null;
  const emoji = emojiFor(match[1]!.toLowerCase());
  if (!emoji || inCode(text, caret - 1)) return null;
  const start = caret - match[0].length;
  return { text: text.slice(0, start) + emoji + text.slice(caret), caret: start + emoji.length };
}

/** How names and IDs relate in the conversation being written to. */
export interface MentionDirectory {
  userIdByUsername(username: string): string | null;
  usernameById(id: string): string | null;
  /** Only channels whose name is unique in the server and reads as one word. */
  channelIdByName(name: string): string | null;
  channelNameById(id: string): string | null;
  /** Only mentionable roles whose name reads as one word, is unique among roles and is nobody's username. */
  roleIdByName(name: string): string | null;
  roleNameById(id: string): string | null;
}

/** A role name that can be written as `@name` (the characters of a username). */
export const LINKABLE_ROLE_NAME = /^[\p{L}\p{N}_.]{2,32}$/u;

/** A channel name that can be written as `#name` (one word, so the end is unambiguous). */
export const LINKABLE_CHANNEL_NAME = /^[\p{L}\p{N}_-]{1,100}$/u;

const USER_NAME = /(?<![\p{L}\p{N}_.<@])@([\p{L}\p{N}_.]{2,32})/gu;
const CHANNEL_NAME = /(?<![\p{L}\p{N}_<&#])#([\p{L}\p{N}_-]{1,100})/gu;

function outsideCode(text: string, transform: (plain: string) => string): string {
  return splitCode(text)
    .map((s) => (s.code ? s.text : transform(s.text)))
    .join('');
}

/**
 * `@username` → `<@id>`, `@role` → `<@&id>` and `#channel` → `<#id>` for the people, roles and
 * channels the directory knows, outside code; a username wins over a role of the same name. A
 * sentence's full stop after a name is not part of it.
 */
export function encodeMentions(text: string, directory: MentionDirectory): string {
  return outsideCode(text, (plain) =>
    plain
      .replace(USER_NAME, (whole, name: string) => {
        const trimmed = name.replace(/\.+$/, '');
        const rest = name.slice(trimmed.length);
        const id = directory.userIdByUsername(trimmed.toLowerCase());
        if (id) return `<@${id}>${rest}`;
        const roleId = directory.roleIdByName(trimmed);
        return roleId ? `<@&${roleId}>${rest}` : whole;
      })
      .replace(CHANNEL_NAME, (whole, name: string) => {
        const id = directory.channelIdByName(name);
        return id ? `<#${id}>` : whole;
      }),
  );
}

/** The reverse of `encodeMentions`, to put a sent message back in the composer for editing. */
export function decodeMentions(text: string, directory: MentionDirectory): string {
  return outsideCode(text, (plain) =>
    plain
      .replace(/<@!?(\d{1,20})>/g, (whole, id: string) => {
        const username = directory.usernameById(id);
        return username ? `@${username}` : whole;
      })
      .replace(/<@&(\d{1,20})>/g, (whole, id: string) => {
        const name = directory.roleNameById(id);
        return name && directory.roleIdByName(name) === id ? `@${name}` : whole;
      })
      .replace(/<#(\d{1,20})>/g, (whole, id: string) => {
        const name = directory.channelNameById(id);
        return name && directory.channelIdByName(name) === id ? `#${name}` : whole;
      }),
  );
}

/** Lowercase without accents, so "zoe" finds "Zoë". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Someone who can be mentioned, with every name they go by. */
export interface MentionCandidate {
  id: string;
  username: string;
  /** Nickname in the server, or display name: what people see. */
  name: string;
}

/**
 * The people matching what follows `@`: username or shown name starting with it first, then a
 * word of the name starting with it, then containing it; alphabetical within each.
 */
export function rankCandidates<T extends MentionCandidate>(candidates: readonly T[], query: string, limit = 8): T[] {
  const q = fold(query);
  const scored: { candidate: T; score: number }[] = [];
  for (const candidate of candidates) {
    const username = candidate.username.toLowerCase();
    const name = fold(candidate.name);
    let score: number;
    if (!q || username.startsWith(q)) score = 0;
    else if (name.startsWith(q)) score = 1;
    else if (name.split(/[\s_.-]+/).some((word) => word.startsWith(q))) score = 2;
    else if (username.includes(q) || name.includes(q)) score = 3;
    else continue;
    scored.push({ candidate, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.candidate.name.localeCompare(b.candidate.name))
    .slice(0, limit)
    .map((s) => s.candidate);
}
