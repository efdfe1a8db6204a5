import type { Server } from 'node:http';
import { Server as TlsServer } from 'node:tls';
import { parseConfig } from './config';
import { startHttpsRedirect } from './http/https-redirect';
import { STOP_DEADLINE_MS } from './http/shutdown';
import { describeCertificate, loadKeyPair, reloadKeyPair } from './http/tls';
import { openParley } from './parley';

/** `npm start`: read the environment, bring the database up to date, serve until told to stop. */
async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const { app, database } = await openParley(config);
  let redirect: Server | null = null;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // Bounded: something stuck (a database that stopped answering) cannot hold the process.
    setTimeout(() => {
      app.log.error(`still stopping after ${STOP_DEADLINE_MS / 1000} s: exiting anyway`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    redirect?.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // SIGHUP is the usual "reload your files" signal (certbot deploy hooks, `systemctl reload`).
  // Without TLS it keeps Node's default (exit), as before.
  const tls = config.tls;
  if (tls) {
    process.on('SIGHUP', () => {
      if (app.server instanceof TlsServer) void reloadKeyPair(app.server, tls, app.log);
    });
  }

  await app.listen({ port: config.port, host: config.host });
  const storage = database.dialect === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL';
  if (!tls) {
    app.log.info(`Parley is ready on port ${config.port} (${storage}). Open http://localhost:${config.port}/`);
    return;
  }

  if (tls.redirectPort !== null) {
    redirect = await startHttpsRedirect({ port: tls.redirectPort, host: config.host, httpsPort: config.port });
    app.log.info(`Plain HTTP on port ${tls.redirectPort} redirects to HTTPS on port ${config.port}`);
  }
  const { fingerprint, validTo } = describeCertificate((await loadKeyPair(tls)).cert);
  app.log.info({ fingerprint, validTo }, `Parley is ready on port ${config.port} over HTTPS (${storage}). Open https://localhost:${config.port}/`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
