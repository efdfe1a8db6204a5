import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { NormalizeIntegersPlugin } from './normalize';
import { ownSchemaOnly } from './pg-introspector';
import { prepareHotStatements } from './pg-prepared';
import { sqliteStatements } from './sqlite-statements';
import type { Tables } from './tables';
import { WriteObserver } from './write-observer';

export type DialectName = 'sqlite' | 'postgres';

/** The storage handle every feature receives: a typed query builder plus which engine is behind it. */
export interface Database {
  db: Kysely<Tables>;
  dialect: DialectName;
  /** PostgreSQL schema in use, when not the server's default. */
  schema: string | null;
  /** Reports every committed write's tables (what keeps the per-node caches true: cache/). */
  writes: WriteObserver;
  /**
   * Whether another process (the operator CLI) committed to the database since the last call,
   * which no observer of this process saw. SQLite tells (`data_version`); PostgreSQL: false.
   */
  changedElsewhere(): boolean;
  /** Throws when the database cannot answer (readiness probe). */
  ping(): Promise<void>;
  /** Calls the listener after every statement with how long it took (metrics/); returns the way to stop. */
  onQuery(listener: QueryListener): () => void;
  close(): Promise<void>;
}

export type QueryListener = (sql: string, milliseconds: number) => void;

/** Kysely's `log` hook, handing each statement to the listeners (metrics/). */
function queryListeners() {
  const listeners = new Set<QueryListener>();
  return {
    log: (event: LogEvent) => {
      for (const listener of listeners) listener(event.query.sql, event.queryDurationMillis);
    },
    onQuery: (listener: QueryListener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

export interface DatabaseOptions {
  /** postgres://… for PostgreSQL; null for SQLite. */
  url: string | null;
  /** SQLite: the file lives here (parley.db). */
  dataDir: string;
  /** PostgreSQL: schema to use as the search_path (created if missing). */
  schema?: string | null;
  /** PostgreSQL: hot SELECTs go by name, prepared once per connection (db/pg-prepared.ts). Default true. */
  preparedStatements?: boolean;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.url ? await openPostgres(options.url, options.schema ?? null, options.preparedStatements ?? true) : openSqlite(options.dataDir);
  await database.ping();
  return database;
}

function openSqlite(dataDir: string): Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const sqlite = new SQLite(path.join(dataDir, 'parley.db'));
  sqlite.pragma('journal_mode = WAL');
  // WAL + NORMAL is durable across application crashes; only a power cut can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Snowflakes exceed 2^53: read every integer as BigInt; rows are normalized as they are built.
  sqlite.defaultSafeIntegers(true);
  const writes = new WriteObserver();
  const queries = queryListeners();
  const db = new Kysely<Tables>({ dialect: writes.wrap(new SqliteDialect({ database: sqliteStatements(sqlite) })), log: queries.log });
  // Changes only when another connection commits: this process has one, the CLI opens its own.
  // Read on every request, so prepared once (pragma() would compile it each time).
  const dataVersionStatement = sqlite.prepare('PRAGMA data_version').pluck();
  const dataVersion = () => dataVersionStatement.get() as bigint;
  let seenVersion = dataVersion();
  return {
    db,
    dialect: 'sqlite',
    schema: null,
    writes,
    changedElsewhere: () => {
      const version = dataVersion();
      if (version === seenVersion) return false;
      seenVersion = version;
      return true;
    },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    onQuery: queries.onQuery,
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string, schema: string | null, preparedStatements: boolean): Promise<Database> {
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
    // int8 (bigint, count(*)) as BigInt, like SQLite; NormalizeIntegersPlugin sorts them out.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? BigInt : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
    },
  });
  if (preparedStatements) prepareHotStatements(pool);
  const writes = new WriteObserver();
  const queries = queryListeners();
  const db = new Kysely<Tables>({ dialect: ownSchemaOnly(writes.wrap(new PostgresDialect({ pool }))), plugins: [new NormalizeIntegersPlugin()], log: queries.log });
  return {
    db,
    dialect: 'postgres',
    schema,
    writes,
    // The CLI announces its writes through Redis when there are several nodes (cli.ts).
    changedElsewhere: () => false,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    onQuery: queries.onQuery,
    close: () => db.destroy(),
  };
}
