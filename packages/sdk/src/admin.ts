import type { DayCount, ImportUserEntry, ImportUsersResult } from '@parley/protocol/admin';

/**
 * Pasted addresses as import entries: one per line, or separated by commas, semicolons or
 * spaces; "Name <address>" keeps the name. Blank pieces are dropped; everything else is sent as
 * typed, so the server names what is wrong with each.
 */
export function parseAddressList(text: string): ImportUserEntry[] {
  const entries: ImportUserEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const named = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(line);
    if (named) {
      const name = named[1]!.trim();
      entries.push({ email: named[2]!.trim(), ...(name ? { name } : {}) });
      continue;
    }
    for (const piece of line.split(/[,;\s]+/)) if (piece.trim()) entries.push({ email: piece.trim() });
  }
  return entries;
}

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The one-time passwords of an import as CSV (username, email, password), for the admin to hand out. */
export function oneTimePasswordsCsv(created: ImportUsersResult['created']): string {
  const rows = created.filter((c) => c.password).map((c) => [c.username, c.email, c.password!].map(csvField).join(','));
  return `username,email,password\r\n${rows.map((r) => `${r}\r\n`).join('')}`;
}

/** The largest count of a series (at least 1, so an empty chart still has a scale). */
export function seriesMax(series: readonly DayCount[]): number {
  return Math.max(1, ...series.map((d) => d.count));
}

/** Bytes as a person reads them: 1.5 MB, 320 KB, 12 B. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
