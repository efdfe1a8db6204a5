import path from 'node:path';
import { AcceptedImageTypes, Limits } from '@parley/protocol';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config';
import type { AppContext } from './context';
import { type Clock, systemClock } from './core/clock';
import { SnowflakeGenerator } from './core/snowflake';
import type { Database } from './db/database';
import { authRoutes } from './features/auth/routes';
import { AuthRateLimiter } from './features/auth/rate-limit';
import { Sessions } from './features/auth/sessions';
import { RegistrationInvites } from './features/instance/invites';
import { instanceRoutes } from './features/instance/routes';
import { InstanceSettingsStore } from './features/instance/settings';
import { userRoutes } from './features/users/routes';
import { DiskFileStore } from './files/disk-file-store';
import type { FileStore } from './files/file-store';
import { answerFrameworkError, installErrorHandling } from './http/errors';
import { installHealthRoutes } from './http/health';
import { installOpenApi } from './http/openapi';
import { installSecurityHeaders } from './http/security';
import { installValidation } from './http/validation';
import { installWebClient } from './http/web';

export interface AppOptions {
  config: Config;
  /** Opened and migrated by the caller, who also closes it. */
  database: Database;
  files?: FileStore;
  clock?: Clock;
}

/**
 * Builds the whole server without listening: main.ts listens, tests call inject() or listen on
 * port 0. Everything that crosses a boundary (database, files, clock) comes in from outside.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, database } = options;
  const clock = options.clock ?? systemClock;
  const ids = new SnowflakeGenerator(clock, config.workerId);
  const ctx: AppContext = {
    config,
    database,
    db: database.db,
    files: options.files ?? new DiskFileStore(path.join(config.dataDir, 'files')),
    clock,
    ids,
    sessions: new Sessions(database.db, clock, ids),
    settings: new InstanceSettingsStore(database.db),
    registrationInvites: new RegistrationInvites(database.db, clock),
    authLimiter: new AuthRateLimiter(config.rateLimits),
  };

  const hops = config.trustProxy;
  const app = Fastify({
    logger: { level: config.logLevel, name: 'parley' },
    // One line per request is noise at chat volumes; errors are still logged with their request.
    logController: new LogController({ disableRequestLogging: true }),
    // A hop count N trusts the N nearest proxies (fastify's types want it as a function).
    trustProxy: typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops,
    frameworkErrors: answerFrameworkError,
    bodyLimit: Limits.jsonBodyMaxBytes,
  });
  app.decorateRequest('auth', null);
  // Raw image bodies (avatar uploads). The route's byte limit applies while the body streams in.
  app.addContentTypeParser([...AcceptedImageTypes], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  installValidation(app);
  installSecurityHeaders(app);
  await installOpenApi(app);
  installHealthRoutes(app, database);
  authRoutes(app, ctx);
  userRoutes(app, ctx);
  instanceRoutes(app, ctx);
  installErrorHandling(app, await installWebClient(app, config.webDir));
  return app;
}
