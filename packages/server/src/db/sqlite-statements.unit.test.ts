import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteStatements } from './sqlite-statements';

let sqlite: SQLite.Database;
afterEach(() => sqlite.close());

function open() {
  sqlite = new SQLite(':memory:');
  sqlite.defaultSafeIntegers(true);
  const connection = sqliteStatements(sqlite);
  return { connection, db: new Kysely<Record<string, Record<string, unknown>>>({ dialect: new SqliteDialect({ database: connection }) }) };
}

describe('sqliteStatements', () => {
  it('builds rows from arrays with snowflakes as strings and other integers as numbers', async () => {
    const { db } = open();
    await sql`create table t (id integer primary key, author_id integer, resolved_by integer, created_at integer, name text, "__proto__" text)`.execute(db);
    await sql`insert into t values (9223372036854775807, 2, 3, 1700000000123, 'a', 'p'), (1, null, null, 0, null, null)`.execute(db);
    const rows = await db.selectFrom('t').selectAll().orderBy('id', 'desc').execute();
    expect(rows).toEqual([
      { id: '9223372036854775807', author_id: '2', resolved_by: '3', created_at: 1_700_000_000_123, name: 'a', ['__proto__']: 'p' },
      { id: '1', author_id: null, resolved_by: null, created_at: 0, name: null, ['__proto__']: null },
    ]);
    // A column named __proto__ is a plain property, not the row's prototype.
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(Object.keys(rows[0]!)).toContain('__proto__');
    const { n } = (await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!;
    expect(n).toBe(2);
  });

  it('reuses a compiled statement by its SQL, and a busy one is not shared', () => {
    const { connection } = open();
    sqlite.exec('create table t (id integer primary key)');
    sqlite.exec('insert into t values (1), (2)');
    const first = connection.prepare('select id from t');
    expect(connection.prepare('select id from t')).toBe(first);
    const iterating = first.iterate([]);
    iterating.next();
    const twin = connection.prepare('select id from t');
    expect(twin).not.toBe(first);
    expect(twin.all([])).toEqual([{ id: '1' }, { id: '2' }]);
    iterating.return?.(undefined);
    expect(connection.prepare('select id from t')).toBe(first);
  });

  it('follows a schema change: a cached select * shows the new column', async () => {
    const { db } = open();
    await sql`create table t (id integer primary key, a text)`.execute(db);
    await sql`insert into t values (1, 'x')`.execute(db);
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ id: '1', a: 'x' }]);
    await sql`alter table t add column b_id integer default 7`.execute(db);
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ id: '1', a: 'x', b_id: '7' }]);
  });

  it('runs writes and returns what RETURNING names', async () => {
    const { db } = open();
    await sql`create table t (id integer primary key, n integer)`.execute(db);
    const result = await db.insertInto('t').values({ id: 5, n: 6 }).executeTakeFirst();
    expect(result.numInsertedOrUpdatedRows).toBe(1n);
    expect(await db.updateTable('t').set({ n: 8 }).returning(['id', 'n']).execute()).toEqual([{ id: '5', n: 8 }]);
  });
});
