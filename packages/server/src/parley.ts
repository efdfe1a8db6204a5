import { buildApp } from './app';
import type { Config } from './config';
import type { Clock } from './core/clock';
import { type Database, openDatabase } from './db/database';
import { migrateToLatest } from './db/migrate';
import type { FastifyInstance } from 'fastify';

export interface Parley {
  app: FastifyInstance;
  database: Database;
}

/**
 * Parley composed exactly as `npm start` runs it, not yet listening: the configured database
 * opened and brought up to date, the app built on it (web client included when built). main.ts
 * listens on it; the test harness builds its servers through here too, so the suite tests the
 * composition that ships. Closing the app closes the database.
 */
export async function openParley(config: Config, options: { clock?: Clock } = {}): Promise<Parley> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema, preparedStatements: config.databasePreparedStatements });
  try {
    await migrateToLatest(database);
    const app = await buildApp({ config, database, ...(options.clock ? { clock: options.clock } : {}) });
    app.addHook('onClose', () => database.close());
    return { app, database };
  } catch (error) {
    await database.close();
    throw error;
  }
}
