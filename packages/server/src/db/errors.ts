/**
 * The column whose UNIQUE constraint an insert or update violated, or null if the error is
 * something else. Lets features turn a lost race ("username taken") into a field error.
 */
export function uniqueViolationColumn(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { code?: unknown; message?: unknown; detail?: unknown };
  // better-sqlite3: "UNIQUE constraint failed: users.username"
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return /UNIQUE constraint failed: \w+\.(\w+)/.exec(String(e.message))?.[1] ?? '';
  }
  // pg: code 23505, detail "Key (username)=(alice) already exists."
  if (e.code === '23505') return /Key \((\w+)\)/.exec(String(e.detail))?.[1] ?? '';
  return null;
}
