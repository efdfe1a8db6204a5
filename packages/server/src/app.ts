import { AcceptedImageTypes, Limits } from '@parley/protocol';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config';
import type { AppContext } from './context';
import { type Clock, systemClock } from './core/clock';
import { memoryLimiters } from './core/rate-limits';
import { SnowflakeGenerator } from './core/snowflake';
import type { Database } from './db/database';
import { adminRoutes } from './features/admin/routes';
import { GatewayNodes } from './features/admin/nodes';
import { applicationRoutes } from './features/applications/routes';
import { authRoutes } from './features/auth/routes';
import { accountRoutes } from './features/accounts/routes';
import { startAccountSweeper, sweepAccounts } from './features/accounts/sweeper';
import { Mailer } from './features/email/mailer';
import { securityEventRoutes } from './features/security-events/routes';
import { emailRoutes } from './features/email/routes';
import { Calls } from './features/calls/calls';
import { startSfu } from './features/calls/sfu/start';
import { countCalls } from './features/calls/counts';
import { callRoutes } from './features/calls/routes';
import { iceRoutes } from './features/calls/ice-routes';
import { channelRoutes } from './features/channels/routes';
import { guildRoutes } from './features/guilds/routes';
import { roleRoutes } from './features/roles/routes';
import { memberModerationRoutes } from './features/moderation/members';
import { overwriteRoutes } from './features/moderation/overwrites';
import { banRoutes } from './features/moderation/bans';
import { bulkDeleteRoutes } from './features/moderation/bulk-delete';
import { auditLogRoutes } from './features/audit-log/routes';
import { inviteRoutes } from './features/invites/routes';
import { webhookRoutes } from './features/webhooks/routes';
import { emojiRoutes } from './features/emojis/routes';
import { fileTransferRoutes } from './features/file-transfer/routes';
import { messageRoutes } from './features/messages/routes';
import { uploadRoutes } from './features/uploads/routes';
import { notificationRoutes } from './features/notifications/routes';
import { pushRoutes } from './features/push/routes';
import { startPush } from './features/push/service';
import { relationshipRoutes } from './features/relationships/routes';
import { reportRoutes } from './features/reports/routes';
import { e2eeRoutes } from './features/e2ee/routes';
import { SafetyPolicy } from './features/safety/policy';
import { loadSafetyClassifier } from './features/safety/classifier/index';
import { safetyRoutes } from './features/safety/routes';
import { AuthRateLimiter } from './features/auth/rate-limit';
import { Sessions } from './features/auth/sessions';
import { KnownSources } from './features/auth/sign-in-sources';
import { RegistrationInvites } from './features/instance/invites';
import { instanceRoutes } from './features/instance/routes';
import { InstanceSettingsStore } from './features/instance/settings';
import { ssoRoutes } from './features/sso/routes';
import { userRoutes } from './features/users/routes';
import { mfaRoutes } from './features/mfa/routes';
import { mfaSignInRoutes } from './features/mfa/sign-in-routes';
import { cdnRoutes } from './files/cdn-routes';
import type { FileStore } from './files/file-store';
import { openFileStore } from './files/open-file-store';
import { answerFrameworkError, installErrorHandler, installNotFoundHandler } from './http/errors';
import { installHealthRoutes } from './http/health';
import { installCompression } from './http/compression';
import { installMultipart } from './http/multipart';
import { installOpenApi } from './http/openapi';
import { installSecurityHeaders } from './http/security';
import { closeConnectionsOnStop } from './http/shutdown';
import { loadKeyPair } from './http/tls';
import { installValidation } from './http/validation';
import { installWebClient } from './http/web';
import { MemoryEventLog } from './bus/memory-log';
import { installMetricsEndpoints } from './metrics/endpoints';
import { Metrics } from './metrics/metrics';
import { EventPublisher } from './events/publisher';
import { Gateway } from './gateway/gateway';
import { restoreRestartState, saveRestartState } from './gateway/restart-state';
import { MemorySessionStore } from './gateway/session-store';
import { MemoryPresenceStore } from './presence/memory-presence';
import { openRedisSharedState } from './redis/shared-state';
import { AccessCache } from './access/cached';
import { CacheBus } from './cache/bus';
import { Caches } from './cache/caches';
import { GuildReads } from './features/guilds/guild-reads';
import { RedisInvalidationFence } from './cache/redis-fence';

declare module 'fastify' {
  interface FastifyInstance {
    /** The WebSocket gateway sharing this server's port. */
    gateway: Gateway;
    /** Erases accounts and ends sessions whose time is up now (the hourly sweep; tests call it instead of waiting). */
    sweepAccounts: () => ReturnType<typeof sweepAccounts>;
  }
}

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
  const hops = config.trustProxy;
  // With TLS_CERT/TLS_KEY the one port speaks HTTPS, and the gateway (attached to the same
  // server below) WSS. Read here so a bad file stops the start with a clear message.
  const keyPair = config.tls ? await loadKeyPair(config.tls) : null;
  const app = Fastify({
    https: keyPair,
    logger: { level: config.logLevel, name: 'parley' },
    // One line per request is noise at chat volumes; errors are still logged with their request.
    logController: new LogController({ disableRequestLogging: true }),
    // A hop count N trusts the N nearest proxies (fastify's types want it as a function).
    trustProxy: typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops,
    frameworkErrors: answerFrameworkError,
    bodyLimit: Limits.jsonBodyMaxBytes,
  });
  closeConnectionsOnStop(app);
  // This app's own registry (metrics/): /metrics, the METRICS_PORT listener, and what is counted below.
  const metrics = new Metrics();
  const stopTimingQueries = database.onQuery((text, milliseconds) => metrics.queryRan(database.dialect, text, milliseconds));
  // Several nodes share state through Redis; a single node keeps it in memory.
  const shared = config.redisUrl ? await openRedisSharedState(config, clock, app.log.child({ subsystem: 'redis' })) : null;
  const ids = new SnowflakeGenerator(clock, config.workerId ?? shared?.workerId ?? null);
  // A single node's sessions and log live in memory, handed from one start to the next (restart-state.ts).
  const singleNode = shared
    ? null
    : {
        log: new MemoryEventLog(clock, { windowMs: config.gateway.resumeWindowMs, maxEntries: config.gateway.maxLogEntries }),
        sessions: new MemorySessionStore(clock, config.gateway.resumeWindowMs),
      };
  if (singleNode) await restoreRestartState(config.dataDir, singleNode, clock, config.gateway.resumeWindowMs, app.log);
  const log = shared?.log ?? singleNode!.log;
  const presence = shared?.presence ?? new MemoryPresenceStore();
  // Every node reads the shared log: how long entries take to reach it (none on a single node).
  if (shared) shared.log.subscribe((entry) => metrics.busEntryReceived(entry.publishedAt));
  const events = new EventPublisher(log);
  events.onPublish((published) => metrics.eventsPublished(published.length));
  // Per-node caches of what every send reads, kept true across nodes through the log (cache/).
  const caches = new Caches();
  const cacheBus = await CacheBus.open(caches, log, shared ? new RedisInvalidationFence(shared.redis, config.redisPrefix) : null, app.log.child({ subsystem: 'cache' }), () =>
    database.changedElsewhere(),
  );
  database.writes.listen(cacheBus.written);
  const sessions = new Sessions(database.db, clock, ids, events, config.accounts.sessionIdleMs, caches, cacheBus);
  const limiters = shared?.limiters ?? memoryLimiters;
  const settings = new InstanceSettingsStore(database.db, caches);
  // The classifier is loaded once, here, at start; sending never waits on anything else of it.
  const safety = new SafetyPolicy({ db: database.db, settings, ids, clock, log, events }, loadSafetyClassifier());
  const base: Omit<AppContext, 'calls'> = {
    config,
    database,
    db: database.db,
    files: options.files ?? (await openFileStore(config.dataDir, config.filesS3)),
    clock,
    ids,
    sessions,
    settings,
    registrationInvites: new RegistrationInvites(database.db, clock),
    authLimiter: new AuthRateLimiter(config.rateLimits, limiters, new KnownSources(database.db, clock, config.publicUrl?.startsWith('https:') ?? false)),
    limiters,
    log,
    events,
    presence,
    mailer: config.mail ? new Mailer(config.mail.smtpUrl, config.mail.from, app.log.child({ subsystem: 'mail' })) : null,
    caches,
    cacheBus,
    access: new AccessCache(caches),
    guildReads: new GuildReads(caches, database.db),
    safety,
  };
  const callsLog = app.log.child({ subsystem: 'calls' });
  const calls = new Calls(base, config.calls, callsLog, await startSfu(config, events, callsLog));
  const ctx: AppContext = { ...base, calls };
  const push = await startPush(ctx, app.log.child({ subsystem: 'push' }));

  installErrorHandler(app, metrics);
  app.decorateRequest('auth', null);
  // Raw image bodies (avatar uploads). The route's byte limit applies while the body streams in.
  app.addContentTypeParser([...AcceptedImageTypes], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // No route takes plain text: without Fastify's default parser it is refused with 415 like
  // any other type a route does not take, instead of reaching validation as a string.
  app.removeContentTypeParser('text/plain');

  installValidation(app);
  await installMultipart(app);
  installSecurityHeaders(app);
  await installCompression(app);
  await installOpenApi(app);
  installHealthRoutes(app, database);
  authRoutes(app, ctx);
  emailRoutes(app, ctx);
  accountRoutes(app, ctx);
  securityEventRoutes(app, ctx);
  ssoRoutes(app, ctx);
  userRoutes(app, ctx);
  mfaRoutes(app, ctx);
  mfaSignInRoutes(app, ctx);
  cdnRoutes(app, ctx.files);
  instanceRoutes(app, ctx);
  guildRoutes(app, ctx);
  roleRoutes(app, ctx);
  memberModerationRoutes(app, ctx);
  overwriteRoutes(app, ctx);
  banRoutes(app, ctx);
  bulkDeleteRoutes(app, ctx);
  auditLogRoutes(app, ctx);
  channelRoutes(app, ctx);
  messageRoutes(app, ctx);
  uploadRoutes(app, ctx);
  fileTransferRoutes(app, ctx);
  webhookRoutes(app, ctx);
  emojiRoutes(app, ctx);
  inviteRoutes(app, ctx);
  relationshipRoutes(app, ctx);
  reportRoutes(app, ctx);
  e2eeRoutes(app, ctx);
  notificationRoutes(app, ctx);
  pushRoutes(app, ctx, push);
  applicationRoutes(app, ctx);
  callRoutes(app, ctx);
  iceRoutes(app, ctx);
  safetyRoutes(app, ctx);
  const gatewayNodes = new GatewayNodes(database.db, clock);
  adminRoutes(app, ctx, gatewayNodes);
  await installMetricsEndpoints(app, metrics, config.metrics);
  installNotFoundHandler(app, await installWebClient(app, config.webDir), metrics);

  const gateway = new Gateway(
    {
      db: database.db,
      log,
      events: ctx.events,
      presence,
      guildReads: ctx.guildReads,
      cacheBus,
      sessions: shared?.sessions ?? singleNode!.sessions,
      clock,
      logger: app.log.child({ subsystem: 'gateway' }),
      authenticate: sessions.authenticateToken,
      calls,
      metrics,
    },
    { heartbeatMs: config.gateway.heartbeatMs, maxBufferedBytes: config.gateway.maxBufferedBytes, publicUrl: config.publicUrl },
  );
  gateway.attach(app.server);
  app.decorate('gateway', gateway);
  metrics.watchConnections(() => gateway.size);
  metrics.watchCalls(() => countCalls(database.db));
  calls.start();
  gatewayNodes.start(() => gateway.size);
  const stopSweeper = startAccountSweeper(ctx, app.log.child({ subsystem: 'accounts' }));
  app.decorate('sweepAccounts', () => sweepAccounts(ctx));
  app.addHook('preClose', async () => {
    await gateway.close();
    // While the database is still open (it closes in onClose).
    await gatewayNodes.stop();
  });
  app.addHook('onClose', async () => {
    stopTimingQueries();
    await stopSweeper();
    await push.notifier.idle();
    await calls.close();
    await ctx.mailer?.close();
    // Every client was told to reconnect and has gone (gateway.close): what they will resume is final.
    if (singleNode) await saveRestartState(config.dataDir, singleNode, clock, app.log);
    await log.close();
    await presence.close();
    await shared?.close();
  });
  return app;
}
