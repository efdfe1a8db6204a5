import type { Member } from '@parley/protocol';

/** Timeout lengths a moderator picks from, as Discord offers them (seconds). */
export const TIMEOUT_DURATIONS = [
  { seconds: 60, label: '60 seconds' },
  { seconds: 5 * 60, label: '5 minutes' },
  { seconds: 10 * 60, label: '10 minutes' },
  { seconds: 60 * 60, label: '1 hour' },
  { seconds: 24 * 60 * 60, label: '1 day' },
  { seconds: 7 * 24 * 60 * 60, label: '1 week' },
] as const;

/** How much of a banned person's recent history goes with them (delete_message_seconds). */
export const BAN_HISTORY_CHOICES = [
  { seconds: 0, label: "Don't delete any" },
  { seconds: 60 * 60, label: 'Previous hour' },
  { seconds: 6 * 60 * 60, label: 'Previous 6 hours' },
  { seconds: 12 * 60 * 60, label: 'Previous 12 hours' },
  { seconds: 24 * 60 * 60, label: 'Previous 24 hours' },
  { seconds: 3 * 24 * 60 * 60, label: 'Previous 3 days' },
  { seconds: 7 * 24 * 60 * 60, label: 'Previous 7 days' },
] as const;

/** The `communication_disabled_until` a timeout of this many seconds from `now` sets. */
export function timeoutUntil(seconds: number, now: number = Date.now()): string {
  return new Date(now + seconds * 1000).toISOString();
}

/** Whether a member matches what was typed in a search box: nickname, display name or username, anywhere, any case. */
export function memberMatches(member: Pick<Member, 'nick' | 'user'>, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [member.nick, member.user.global_name, member.user.username].some((name) => !!name && name.toLowerCase().includes(q));
}

/** The name a member shows under in a server: nickname, then display name, then username. */
export function memberName(member: Pick<Member, 'nick' | 'user'>): string {
  return member.nick ?? member.user.global_name ?? member.user.username;
}

/** Members sorted by the name they show under, for lists a person scans. */
export function byName<M extends Pick<Member, 'nick' | 'user'>>(members: Iterable<M>): M[] {
  return [...members].sort((a, b) => memberName(a).localeCompare(memberName(b)) || a.user.id.localeCompare(b.user.id));
}
