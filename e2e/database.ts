import Database from 'better-sqlite3';

/** The journeys' server keeps its data here (playwright.config.ts: DATA_DIR, E2E_DATA_DIR to move it). */
const DATABASE_FILE = `${process.env.E2E_DATA_DIR ?? '.test-output/e2e-data'}/parley.db`;

/**
 * Which of these texts appear anywhere in the journeys' SQLite database (every row of every
 * table, the full-text index included), read beside the running server: end-to-end encrypted
 * conversations must leave none there. (The same check on PostgreSQL: server/src/testing/plaintext.ts.)
 */
export function plaintextInDatabase(texts: readonly string[]): string[] {
  const db = new Database(DATABASE_FILE, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare<[], { name: string }>("select name from sqlite_master where type = 'table'").all();
    const found = new Set<string>();
    for (const { name } of tables) {
      const dump = JSON.stringify(db.prepare(`select * from "${name}"`).all(), (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('latin1') : value));
      for (const text of texts) if (dump.includes(text)) found.add(`${text} (in ${name})`);
    }
    return [...found];
  } finally {
    db.close();
  }
}
