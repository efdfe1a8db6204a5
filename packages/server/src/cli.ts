import path from 'node:path';
import { Redis } from 'ioredis';
import { RedisEventLog } from './bus/redis-log';
import { CacheBus } from './cache/bus';
import { Caches } from './cache/caches';
import { RedisInvalidationFence } from './cache/redis-fence';
import { type Config, DEFAULT_DATA_DIR, parseConfig } from './config';
import { systemClock } from './core/clock';
import { type Database, openDatabase } from './db/database';
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
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema, preparedStatements: config.databasePreparedStatements });
  const stopAnnouncing = await announceWrites(config, database);
  try {
    await migrateToLatest(database);
    for (const line of await runCommand(argv, database, systemClock)) console.log(line);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  } finally {
    await stopAnnouncing();
    await database.close();
  }
}

/**
 * With several nodes (REDIS_URL), what the CLI writes empties the running nodes' caches at once,
 * as a node's own writes do (cache/bus.ts): a password reset's signed-out sessions stop working
 * everywhere. On SQLite the one running server notices by itself (Database.changedElsewhere).
 */
async function announceWrites(config: Config, database: Database): Promise<() => Promise<void>> {
  if (!config.redisUrl) return async () => {};
  const redis = new Redis(config.redisUrl, { lazyConnect: true, connectionName: `${config.redisPrefix}cli` });
  await redis.connect();
  const quiet = { warn: () => {}, error: (message: unknown) => console.error(message) };
  const { resumeWindowMs: windowMs, maxLogEntries: maxEntries } = config.gateway;
  const log = await RedisEventLog.open(redis, systemClock, { prefix: config.redisPrefix, windowMs, maxEntries, logger: quiet });
  // The CLI holds no cache, so it cannot tell which tables the nodes' caches read: it names them all.
  const everyTable = new (class extends Caches {
    override watches(): boolean {
      return true;
    }
  })();
  const bus = await CacheBus.open(everyTable, log, new RedisInvalidationFence(redis, config.redisPrefix), quiet);
  database.writes.listen(bus.written);
  return async () => {
    await log.close();
    await redis.quit().catch(() => redis.disconnect());
  };
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
