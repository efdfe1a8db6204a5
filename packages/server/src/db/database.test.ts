import type { Snowflake } from '@parley/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dropSchema, TEST_DB, type TestDatabase } from '../testing/databases';
import { MIGRATION_NAMES, migrateToLatest } from './migrate';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(() => test.dispose());

describe(`database (${TEST_DB})`, () => {
  it('runs on the engine this project asked for', () => {
    expect(test.database.dialect).toBe(TEST_DB);
  });

  it('round-trips snowflakes beyond 2^53 exactly, as strings, and other integers as numbers', async () => {
    const { db } = test.database;
    const id = '9223372036854775807' as Snowflake; // the largest signed 64-bit integer
    await db.insertInto('users').values({ id, username: 'max_id', created_at: 1_700_000_000_123 }).execute();
    const row = await db.selectFrom('users').select(['id', 'created_at', 'guest']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ id: '9223372036854775807', created_at: 1_700_000_000_123, guest: 0 });
    const { count } = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe(1);
    const ordered = await db
      .selectFrom('users')
      .select('id')
      .where('id', '>', '9007199254740993' as Snowflake)
      .execute();
    expect(ordered.map((r) => r.id)).toEqual([id]);
  });

  it('migrates idempotently (every node runs it at start)', async () => {
    await migrateToLatest(test.database);
    await migrateToLatest(test.database);
    const result = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(test.database.db);
    expect(Number(result.rows[0]!.n)).toBe(MIGRATION_NAMES.length);
  });

  // Kysely's own introspection read every schema's columns and failed when one was dropped
  // meanwhile. PostgreSQL only: a SQLite file holds one schema.
  if (TEST_DB === 'postgres')
    it('introspects its own schema only: another schema with migration tables is none of its business', async () => {
      const { db, schema } = test.database;
      const other = `t_other_${Date.now()}`;
      await sql.raw(`create schema "${other}"; create table "${other}".kysely_migration (name text)`).execute(db);
      try {
        const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
        expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([schema]));
        expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['kysely_migration', 'users', 'messages']));
        await migrateToLatest(test.database);
      } finally {
        await dropSchema(other);
      }
    });

  it('enforces foreign keys (sessions die with their user)', async () => {
    const { db } = test.database;
    await db
      .insertInto('users')
      .values({ id: '100' as Snowflake, username: 'fk_user', created_at: 1 })
      .execute();
    await db
      .insertInto('sessions')
      .values({ id: '101' as Snowflake, user_id: '100' as Snowflake, token_hash: 'h', client: 'c', ip: null, created_at: 1, last_used_at: 1 })
      .execute();
    await db
      .deleteFrom('users')
      .where('id', '=', '100' as Snowflake)
      .execute();
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([]);
    await expect(
      db
        .insertInto('sessions')
        .values({ id: '102' as Snowflake, user_id: '999' as Snowflake, token_hash: 'h2', client: 'c', ip: null, created_at: 1, last_used_at: 1 })
        .execute(),
    ).rejects.toThrow();
  });
});
