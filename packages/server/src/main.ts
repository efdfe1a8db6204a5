import { parseConfig } from './config';
import { openParley } from './parley';

/** `npm start`: read the environment, bring the database up to date, serve until told to stop. */
async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const { app, database } = await openParley(config);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  const storage = database.dialect === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL';
  app.log.info(`Parley is ready on port ${config.port} (${storage}). Open http://localhost:${config.port}/`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
