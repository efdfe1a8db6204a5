import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock';
import type { Tables } from '../../db/tables';

/** How often each node writes its connection count. */
const REPORT_EVERY_MS = 15_000;
/** A node that has not reported for this long is gone (stopped or dead) and no longer listed. */
const NODE_STALE_MS = 4 * REPORT_EVERY_MS;

/**
 * Each server node's count of gateway connections, shared through the database so that any
 * node's statistics show every node (with Redis, several nodes serve one instance). The node
 * writes its own row every 15 s, and once more when statistics are asked for, so its own number
 * is always current; others' are at most 15 s old, and a node gone for a minute drops out.
 */
export class GatewayNodes {
  /** Host name, process ID and a random tail: unique even for several servers in one process (tests). */
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private count: () => number = () => 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Starts reporting `count` (the gateway's open connections). */
  start(count: () => number): void {
    this.count = count;
    this.timer = setInterval(() => void this.report().catch(() => undefined), REPORT_EVERY_MS);
    this.timer.unref();
  }

  async report(): Promise<void> {
    const values = { connections: this.count(), seen_at: this.clock.now() };
    await this.db
      .insertInto('gateway_nodes')
      .values({ id: this.id, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
  }

  /** Every node seen recently, this one current. */
  async list(): Promise<{ id: string; connections: number; seen_at: number }[]> {
    await this.report();
    return this.db
      .selectFrom('gateway_nodes')
      .selectAll()
      .where('seen_at', '>=', this.clock.now() - NODE_STALE_MS)
      .orderBy('id')
      .execute();
  }

  /** Stops reporting and removes this node's row (a clean shutdown leaves no ghost). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.db.deleteFrom('gateway_nodes').where('id', '=', this.id).execute();
  }
}
