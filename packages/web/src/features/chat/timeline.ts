import { type Message, MessageType, type Snowflake } from '@parley/protocol';
import { toRaw } from 'vue';
import type { PendingMessage } from '@parley/sdk';

/**
 * The rows of a channel's history as the list draws them: a head row (the beginning of the
 * conversation, or older history still to load), the messages with what goes above each
 * (date separator, "New messages" divider) and whether it continues the previous one's group,
 * then the user's messages not confirmed yet.
 */
export type TimelineRow =
  | { kind: 'head'; key: string }
  | { kind: 'message'; key: string; message: Message; grouped: boolean; day: number | null; firstUnread: boolean }
  | { kind: 'pending'; key: string; pending: PendingMessage };

/** Consecutive messages by one author within 7 minutes share a header. */
export const GROUP_MS = 7 * 60_000;

/** A local calendar day as a sortable number, e.g. 20260521: cheap to compare for 10,000 rows. */
export function localDay(time: number): number {
  const date = new Date(time);
  return date.getFullYear() * 10_000 + (date.getMonth() + 1) * 100 + date.getDate();
}

export function buildTimeline(messages: readonly Message[], pending: readonly PendingMessage[], lastReadId: Snowflake | null): TimelineRow[] {
  const rows: TimelineRow[] = [{ kind: 'head', key: 'head' }];
  const lastRead = lastReadId ? BigInt(lastReadId) : null;
  let previous: Message | null = null;
  let previousTime = 0;
  let previousDay = 0;
  let unreadMarked = false;
  for (const message of messages) {
    // Plain reads for the comparisons: tracking every field of 10,000 messages costs more than it tells.
    const raw = toRaw(message);
    const time = Date.parse(raw.timestamp);
    const day = localDay(time);
    const newDay = day !== previousDay;
    const firstUnread = !unreadMarked && lastRead !== null && BigInt(raw.id) > lastRead;
    if (firstUnread) unreadMarked = true;
    const grouped =
      previous !== null &&
      !newDay &&
      !firstUnread &&
      previous.author.id === raw.author.id &&
      // A webhook posts under a name per message: each name heads its own group.
      (raw.webhook_id === undefined || previous.author.username === raw.author.username) &&
      time - previousTime < GROUP_MS &&
      raw.type !== MessageType.REPLY &&
      // A call's system message stands alone, and the message after it starts a new group.
      raw.type !== MessageType.CALL &&
      previous.type !== MessageType.CALL &&
      raw.message_reference === undefined;
    rows.push({ kind: 'message', key: raw.id, message, grouped, day: newDay ? day : null, firstUnread });
    previous = raw;
    previousTime = time;
    previousDay = day;
  }
  for (const p of pending) rows.push({ kind: 'pending', key: `pending:${p.nonce}`, pending: p });
  return rows;
}

/** Rough heights for rows not measured yet: a header costs more than a continuation line. */
export function estimateRowHeight(row: TimelineRow): number {
  if (row.kind === 'head') return 80;
  if (row.kind === 'pending') return row.pending.files.length ? 96 : 36;
  let height = row.grouped ? 26 : 60;
  if (row.day !== null) height += 36;
  if (row.firstUnread) height += 24;
  const raw = toRaw(row.message);
  for (const a of raw.attachments) height += a.width && a.height ? Math.min(300, a.height) + 8 : 64;
  if (raw.reactions?.length) height += 32;
  for (const embed of raw.embeds ?? []) height += 72 + (embed.fields?.length ?? 0) * 20;
  return height;
}

/** The day separator's label, e.g. "21 May 2026" in the reader's own language. */
export function dayLabel(day: number): string {
  const date = new Date(Math.floor(day / 10_000), (Math.floor(day / 100) % 100) - 1, day % 100);
  return date.toLocaleDateString([], { dateStyle: 'long' });
}

/** A message header's time as chat apps show it: "Today at 9:41", "Yesterday at 18:02", else date and time. */
export function headerTime(time: Date, now = new Date()): string {
  const clock = time.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  const daysAgo = Math.round((startOfDay(now) - startOfDay(time)) / 86_400_000);
  if (daysAgo === 0) return `Today at ${clock}`;
  if (daysAgo === 1) return `Yesterday at ${clock}`;
  return time.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}
