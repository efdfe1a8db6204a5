import type { FastifyBaseLogger } from 'fastify';
import type { EventLog, LogEntry } from '../bus/event-log';
import type { Caches } from './caches';

/**
 * Not an event for clients: tells every node which tables were written, so each empties the
 * caches read from them. Addressed to nobody (the gateway delivers it to no connection).
 */
const CACHE_INVALIDATE = 'PARLEY_CACHE_INVALIDATE';

/**
 * The latest invalidation's position in the log, shared by the nodes (Redis): a node that has
 * read the log up to there holds nothing older than any write acknowledged before the question.
 */
export interface InvalidationFence {
  advance(seq: number): Promise<void>;
  latest(): Promise<number>;
}

/** How long a request waits for this node's log reader to catch up before it drops every cache instead. */
const CATCH_UP_MS = 1_000;

/**
 * Keeps the caches of several nodes true through the event log (the bus). A committed write to
 * a cached table (db/write-observer.ts reports it before the writer's `await` resumes) empties
 * this node's caches at once, then goes into the log, then moves the fence; every node empties
 * its own when it reads the entry. A request first makes sure this node has read the log up to
 * the fence (`current()`), so a change acknowledged on one node (a session revoked, a role
 * taken away) holds on every node for every request that starts after it: no window.
 *
 * One node (no fence): the local invalidation is the whole story.
 */
export class CacheBus {
  /** The last log position this node has read. */
  private read = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];

  private constructor(
    private readonly caches: Caches,
    private readonly log: EventLog,
    private readonly fence: InvalidationFence | null,
    private readonly logger: Pick<FastifyBaseLogger, 'warn'>,
    private readonly changedElsewhere: () => boolean,
  ) {}

  /** `changedElsewhere` tells of writes by another process that reached no log (Database.changedElsewhere). */
  static async open(caches: Caches, log: EventLog, fence: InvalidationFence | null, logger: Pick<FastifyBaseLogger, 'warn'>, changedElsewhere = () => false): Promise<CacheBus> {
    const bus = new CacheBus(caches, log, fence, logger, changedElsewhere);
    if (fence) {
      log.subscribe((entry) => bus.onEntry(entry));
      // A node whose link to the log broke may have missed invalidations: it starts afresh.
      log.onLoss(() => caches.clearAll());
      // Entries before this node started invalidated nothing it holds (it held nothing).
      bus.read = Math.max(bus.read, await log.head());
    }
    return bus;
  }

  /** Called with the tables of every committed write (db/write-observer.ts). */
  written = async (tables: ReadonlySet<string>): Promise<void> => {
    const watched = [...tables].filter((t) => this.caches.watches(t));
    if (watched.length === 0) return;
    this.caches.invalidate(watched);
    if (!this.fence) return;
    // The entry type is not a dispatch name: like the gateway's close order, no client receives it.
    const [seq] = await this.log.append([{ t: CACHE_INVALIDATE as LogEntry['t'], d: JSON.stringify({ tables: watched }), to: {}, intent: 0 }]);
    await this.fence.advance(seq!);
  };

  /**
   * Resolves once this node has applied every invalidation announced before the call: what a
   * request awaits before it serves anything from a cache (Sessions.authenticate does, first).
   */
  async current(): Promise<void> {
    // The operator CLI writes from a process of its own: on SQLite this node sees it here.
    if (this.changedElsewhere()) this.caches.clearAll();
    if (!this.fence) return;
    let latest: number;
    try {
      latest = await this.fence.latest();
    } catch (error) {
      // Redis out of reach: what others changed cannot be known, so nothing cached is trusted.
      this.logger.warn({ err: error }, 'cache: the invalidation fence cannot be read; dropping every cache');
      this.caches.clearAll();
      return;
    }
    await this.caughtUp(latest);
  }

  /** Moves whenever a cached table is written, here or (once this node has read of it) on another node. */
  get generation(): number {
    return this.caches.generation;
  }

  /**
   * Resolves once this node has read the log up to `seq`: a change announced there before then
   * has emptied this node's caches (IDENTIFY: its READY answers as of its log cursor).
   */
  async caughtUp(seq: number): Promise<void> {
    if (this.fence && !(await this.readUpTo(seq))) {
      this.logger.warn('cache: the event log reader is behind; dropping every cache');
      this.caches.clearAll();
    }
  }

  /** Whether this node read the log up to `seq` within CATCH_UP_MS. */
  private async readUpTo(seq: number): Promise<boolean> {
    if (this.read >= seq) return true;
    const caughtUp = new Promise<boolean>((resolve) => this.waiters.push({ seq, resolve: () => resolve(true) }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CATCH_UP_MS)));
    const inTime = await Promise.race([caughtUp, late]);
    clearTimeout(timer);
    return inTime;
  }

  private onEntry(entry: LogEntry): void {
    if ((entry.t as string) === CACHE_INVALIDATE) this.caches.invalidate((JSON.parse(entry.d) as { tables: string[] }).tables);
    this.read = entry.seq;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) waiter.seq <= entry.seq ? waiter.resolve() : still.push(waiter);
    this.waiters = still;
  }
}
