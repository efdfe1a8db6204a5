import path from 'node:path';
import { DEFAULT_DATA_DIR, parseConfig } from './config';
import { systemClock } from './core/clock';
import { openDatabase } from './db/database';
import { migrateToLatest } from './db/migrate';
import { USAGE, UsageError, runCommand } from './cli/commands';
import { runTlsCommand } from './cli/tls';

/** `npm run parley -- <command>`: operator commands against the configured database. */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === 'tls') return runWithoutDatabase(() => runTlsCommand(argv.slice(1), { defaultOutDir: path.resolve(process.env.DATA_DIR || DEFAULT_DATA_DIR, 'tls'), now: new Date() }));
  const config = parseConfig(process.env);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema });
  try {
    await migrateToLatest(database);
    for (const line of await runCommand(argv, database, systemClock)) console.log(line);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  } finally {
    await database.close();
  }
}

/**
 * Commands that touch no database (tls): they run before the configuration is checked, since the
 * operator often runs them to produce what the configuration will name (TLS_CERT, TLS_KEY).
 */
async function runWithoutDatabase(command: () => Promise<string[]>): Promise<number> {
  try {
    for (const line of await command()) console.log(line);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
