import { type Compilable, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Tables } from './tables';

/**
 * PostgreSQL runs data-modifying statements as parts of one WITH statement, atomically, in one
 * round trip: no BEGIN/COMMIT. Foreign keys between the parts (a mention's message) are checked
 * at its end, and every part reads the rows as they were at its start. The parts are named w0,
 * w1…; `named` adds parts under names `select` can read from (the rows a part returns), which
 * otherwise is `select 1`. A part's UNCACHED_COLUMNS_ONLY mark is in the statement's text, so
 * the write observer (write-observer.ts) sees it.
 */
export async function writeAsOneStatement<R = never>(db: Kysely<Tables>, writes: readonly Compilable[], then?: { named: Record<string, Compilable>; select: RawBuilder<R> }): Promise<R[]> {
  const parts = [...writes.map((statement, i) => sql`${sql.ref(`w${i}`)} as (${statement})`), ...Object.entries(then?.named ?? {}).map(([name, statement]) => sql`${sql.ref(name)} as (${statement})`)];
  const { rows } = await sql<R>`with ${sql.join(parts)} ${then?.select ?? sql`select 1`}`.execute(db);
  return then ? rows : [];
}
