import type { Kysely } from 'kysely';
import type { AccessCache } from './access/cached';
import type { CacheBus } from './cache/bus';
import type { Caches } from './cache/caches';
import type { EventLog } from './bus/event-log';
import type { Config } from './config';
import type { Clock } from './core/clock';
import type { LimiterFactory } from './core/rate-limits';
import type { SnowflakeGenerator } from './core/snowflake';
import type { Database } from './db/database';
import type { Tables } from './db/tables';
import type { EventPublisher } from './events/publisher';
import type { Calls } from './features/calls/calls';
import type { GuildReads } from './features/guilds/guild-reads';
import type { Mailer } from './features/email/mailer';
import type { AuthRateLimiter } from './features/auth/rate-limit';
import type { Sessions } from './features/auth/sessions';
import type { RegistrationInvites } from './features/instance/invites';
import type { InstanceSettingsStore } from './features/instance/settings';
import type { FileStore } from './files/file-store';
import type { PresenceStore } from './presence/presence-store';
import type { SafetyPolicy } from './features/safety/policy';

/**
 * Everything a feature may use, built once in app.ts. Features receive it instead of importing
 * singletons, so tests and multi-node setups swap implementations without touching them.
 */
export interface AppContext {
  config: Config;
  database: Database;
  db: Kysely<Tables>;
  files: FileStore;
  clock: Clock;
  ids: SnowflakeGenerator;
  sessions: Sessions;
  settings: InstanceSettingsStore;
  registrationInvites: RegistrationInvites;
  authLimiter: AuthRateLimiter;
  /** Makes rate limiters (memory on one node, Redis across nodes). */
  limiters: LimiterFactory;
  /** The shared, ordered log of dispatch events (what the gateway delivers and replays). */
  log: EventLog;
  events: EventPublisher;
  presence: PresenceStore;
  /** Outgoing mail (SMTP_URL); null when this server sends none. */
  mailer: Mailer | null;
  /** Who is in which call, and the rules of calls (features/calls). */
  calls: Calls;
  /** Per-node caches of rows, each emptied on every node when a table it was read from is written (cache/). */
  caches: Caches;
  /** Keeps every node's caches true: a request awaits `current()` before serving from one (cache/). */
  cacheBus: CacheBus;
  /** The access policy's inputs cached per node for the send path (access/cached.ts). */
  access: AccessCache;
  /** What members' views of a guild read: the rows they share cached per node, their channels read for many at once (features/guilds/guild-reads.ts). */
  guildReads: GuildReads;
  /** The offline classifier, loaded once at start, and what a flag does (features/safety). */
  safety: SafetyPolicy;
}
