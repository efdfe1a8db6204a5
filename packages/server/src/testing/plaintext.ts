import { sql } from 'kysely';
import type { Database } from '../db/database';

/**
 * Which of these texts appear anywhere in the database: every row of every table, as the
 * engine returns it. What an end-to-end encrypted conversation's tests check is absent: a
 * server that stored a message's text in any column, index or side table would show here.
 */
export async function plaintextIn(database: Database, texts: readonly string[]): Promise<string[]> {
  const { db } = database;
  const tables =
    database.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)).rows.map((r) => r.name);
  const found = new Set<string>();
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    const dump = JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value));
    for (const text of texts) if (dump.includes(text)) found.add(`${text} (in ${table})`);
  }
  return [...found];
}
