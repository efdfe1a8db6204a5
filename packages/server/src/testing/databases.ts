import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Database, openDatabase } from '../db/database';
import { migrateToLatest } from '../db/migrate';

/**
 * Which real engine this test run uses: the vitest projects "sqlite" and "postgres" run the
 * same storage and API tests once against each.
 */
export const TEST_DB: 'sqlite' | 'postgres' = process.env.PARLEY_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

/** CI's PostgreSQL: 127.0.0.1:5432, trust auth, database "test". */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  database: Database;
  dataDir: string;
  /** Closes the connection and deletes everything the test stored. */
  dispose(): Promise<void>;
}

/** Where a test's data goes: the environment that points Parley at it, and how to wipe it afterwards. */
export interface TestStorage {
  dataDir: string;
  /** DATA_DIR, plus DATABASE_URL and DATABASE_SCHEMA on PostgreSQL. */
  env: Record<string, string>;
  /** Deletes everything stored there (after whatever used it is closed). */
  wipe(): Promise<void>;
}

/** A fresh place for a test's data: a new data directory and, on PostgreSQL, a new schema. */
export async function createTestStorage(): Promise<TestStorage> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-test-'));
  const schema = TEST_DB === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : null;
  return {
    dataDir,
    env: { DATA_DIR: dataDir, ...(schema && { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema }) },
    wipe: async () => {
      if (schema) await dropSchema(schema);
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh, migrated database: a new SQLite file, or a new schema in the test PostgreSQL database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const storage = await createTestStorage();
  const database = await openDatabase({ url: storage.env.DATABASE_URL ?? null, dataDir: storage.dataDir, schema: storage.env.DATABASE_SCHEMA ?? null });
  await migrateToLatest(database);
  return {
    database,
    dataDir: storage.dataDir,
    dispose: async () => {
      await database.close();
      await storage.wipe();
    },
  };
}

/** Drops a PostgreSQL schema of the test database and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
