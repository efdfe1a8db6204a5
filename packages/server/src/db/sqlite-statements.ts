import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { idValue, isIdColumn, numberValue } from './normalize';

/** Compiled statements kept per connection; queries with long IN lists make the SQL texts vary. */
const STATEMENT_CACHE_SIZE = 500;

/** Schema changes make the cached statements' columns (and so their row builders) stale. */
const DDL = /^\s*(create|alter|drop)\b/i;

/**
 * The better-sqlite3 connection as Kysely's SQLite driver sees it, made cheaper in two ways
 * (bench/README.md, "What the profiles found"):
 * - Kysely prepares every query afresh, and better-sqlite3 compiles SQL on each prepare(): about
 *   a tenth of a history request's CPU. Compiled statements are reused by their SQL text instead,
 *   least recently used dropped first. Everything here is synchronous, so a statement is never
 *   shared mid-run; one still iterating (`busy`) gets a fresh twin.
 * - better-sqlite3 builds each row object property by property, about half of a page of 50
 *   messages' read time. Rows are read as arrays and built by a function made per statement from
 *   its column names (one object shape, integers normalized on the way: normalize.ts).
 */
export function sqliteStatements(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, FastStatement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      if (DDL.test(text)) cache.clear();
      const statement = fastRows(sqlite.prepare(text));
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

type FastStatement = SqliteStatement & { readonly busy: boolean };
type RowBuilder = (values: unknown[]) => Record<string, unknown>;

function fastRows(statement: SQLite.Statement): FastStatement {
  if (!statement.reader) return statement;
  const raw = statement.raw(true);
  let build: RowBuilder | null = null;
  let width = -1;
  // The column list is read on first use. A migration in this process empties the cache; one run
  // by another process (the CLI) makes SQLite re-prepare with the new columns, which the count shows.
  const builderFor = (values: unknown[]) => {
    if (build === null || width !== values.length) {
      const names = raw.columns().map((c) => c.name);
      build = rowBuilder(names);
      width = names.length;
    }
    return build;
  };
  return {
    reader: true,
    get busy() {
      return raw.busy;
    },
    all: (parameters) => (raw.all(parameters) as unknown[][]).map((values) => builderFor(values)(values)),
    run: (parameters) => raw.run(parameters),
    *iterate(parameters) {
      for (const values of raw.iterate(parameters) as IterableIterator<unknown[]>) yield builderFor(values)(values);
    },
  };
}

/**
 * `(values) => ({ "id": id(values[0]), "flags": number(values[1]), … })` for these column names:
 * snowflake columns become strings, other integers numbers (normalize.ts). Generated code is safe
 * here: the names are JSON string literals, used as computed keys so that even `__proto__` is a
 * plain property, and one object literal for every row keeps V8 on one fast shape.
 */
function rowBuilder(names: string[]): RowBuilder {
  const body = names.map((name, i) => `[${JSON.stringify(name)}]: ${isIdColumn(name) ? 'id' : 'number'}(values[${i}])`).join(', ');
  const make = new Function('id', 'number', `return function build(values) { return { ${body} }; }`) as (id: typeof idValue, number: typeof numberValue) => RowBuilder;
  return make(idValue, numberValue);
}
