import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, TEST_DATABASE_URL } from '../testing/databases';
import { prepareHotStatements, StatementNames } from './pg-prepared';

/*
 * Named statements against the real PostgreSQL (whichever engine the rest of the run uses: this
 * is the PostgreSQL driver's own behaviour). One connection, so what it prepared can be listed.
 */
const schema = `t_${randomBytes(6).toString('hex')}`;
let pool: pg.Pool;
beforeAll(async () => {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  await admin.end();
  pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1, options: `-c search_path="${schema}"` });
  prepareHotStatements(pool);
  await pool.query('create table notes (id int primary key, body text)');
  await pool.query("insert into notes values (1, 'one'), (2, 'two')");
});
afterAll(async () => {
  await pool.end();
  await dropSchema(schema);
});

/** What the pool's one connection has prepared (its own statements included: listed by name). */
async function prepared(): Promise<string[]> {
  const { rows } = await pool.query<{ statement: string }>('select statement from pg_prepared_statements where name like $1 order by name', ['parley_%']);
  return rows.map((r) => r.statement);
}

const read = (id: number) => pool.query('select * from "notes" where "id" = $1', [id]);

describe('hot SELECTs go to PostgreSQL by name', () => {
  it('names a SELECT once it ran a few times, and never a write', async () => {
    for (let i = 0; i < 7; i++) await read(1);
    expect(await prepared()).toEqual([]);
    const { rows } = await read(2);
    expect(rows).toEqual([{ id: 2, body: 'two' }]);
    expect(await prepared()).toEqual(['select * from "notes" where "id" = $1']);
    for (let i = 0; i < 10; i++) await pool.query('update "notes" set "body" = $1 where "id" = $2', ['one', 1]);
    expect(await prepared()).toHaveLength(1);
  });

  it('a plan gone stale (a column added) is refused once inside a transaction, then runs unnamed and sees the column', async () => {
    const client = await pool.connect();
    try {
      await client.query('alter table notes add column pinned boolean not null default false', []);
      await client.query('begin', []);
      await expect(client.query('select * from "notes" where "id" = $1', [1])).rejects.toMatchObject({ code: '0A000' });
      await client.query('rollback', []);
      expect((await client.query('select * from "notes" where "id" = $1', [1])).rows).toEqual([{ id: 1, body: 'one', pinned: false }]);
    } finally {
      client.release();
    }
  });

  it('outside a transaction a stale plan is run again unnamed at once', async () => {
    const text = 'select * from "notes" where "id" = $1 and "body" is not null';
    for (let i = 0; i < 8; i++) await pool.query(text, [2]);
    expect(await prepared()).toContain(text);
    await pool.query('alter table notes add column color text', []);
    expect((await pool.query(text, [2])).rows).toEqual([{ id: 2, body: 'two', pinned: false, color: null }]);
  });
});

describe('StatementNames', () => {
  it('names at most 200 texts, and a refused one never again', () => {
    const names = new StatementNames();
    const hot = (text: string) => {
      let name: string | null = null;
      for (let i = 0; i < 8; i++) name = names.nameFor(text);
      return name;
    };
    expect(hot('select 1')).toBe('parley_0');
    names.refuse('select 1');
    expect(hot('select 1')).toBeNull();
    for (let i = 0; i < 200; i++) expect(hot(`select ${i + 2}`)).toMatch(/^parley_\d+$/);
    expect(hot('select 999')).toBeNull();
    expect(hot('insert into notes values (1)')).toBeNull();
  });
});
