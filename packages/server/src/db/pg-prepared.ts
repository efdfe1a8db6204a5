import pg from 'pg';

/** Times a SELECT runs before it gets a name: rare statements stay unnamed. */
const HOT_AFTER = 8;
/** Named statements at most: every connection of the pool keeps each one, in PostgreSQL's memory too. */
const MAX_NAMED = 200;
/** Distinct texts counted towards HOT_AFTER before the count starts over. */
const MAX_COUNTED = 10_000;

/** Longer than any transaction control statement Kysely sends (`start transaction isolation level …`). */
const TRANSACTION_CONTROL_MAX_CHARS = 100;

/** PostgreSQL's answer to a prepared `select *` whose table gained a column (another node migrated). */
const STALE_PLAN = '0A000';

/**
 * Which statement texts go to PostgreSQL by name. A statement sent without one is parsed and
 * planned every time; a named one once per connection, then only bound and run: a one-row
 * look-up takes half the time (a join storm is ~20 of them per identify). Only SELECTs that run
 * often get a name, and at most MAX_NAMED of them.
 */
export class StatementNames {
  private readonly counts = new Map<string, number>();
  private readonly names = new Map<string, string>();
  /** Texts whose prepared plan went stale: sent unnamed from then on. */
  private readonly refused = new Set<string>();
  private named = 0;

  nameFor(text: string): string | null {
    const known = this.names.get(text);
    if (known) return known;
    if (this.names.size >= MAX_NAMED || this.refused.has(text) || !/^select\b/i.test(text)) return null;
    const count = (this.counts.get(text) ?? 0) + 1;
    if (count < HOT_AFTER) {
      if (this.counts.size >= MAX_COUNTED) this.counts.clear();
      this.counts.set(text, count);
      return null;
    }
    this.counts.delete(text);
    const name = `parley_${this.named++}`;
    this.names.set(text, name);
    return name;
  }

  /** Its plan went stale: never named again (the name is not reused either). */
  refuse(text: string): void {
    this.names.delete(text);
    this.refused.add(text);
  }
}

type Query = (text: string, values: unknown[]) => Promise<pg.QueryResult>;

/**
 * Makes each new client of the pool send hot SELECTs by name (node-postgres prepares a named
 * statement once per connection). A named statement whose plan went stale is refused for good
 * and, outside a transaction, run again unnamed; inside one the transaction has failed anyway.
 */
export function prepareHotStatements(pool: pg.Pool, names = new StatementNames()): void {
  pool.on('connect', (client) => {
    let inTransaction = false;
    // pg's own query, looked up on each call rather than kept: tests count statements by wrapping it.
    const pgQuery = (...args: unknown[]) => (pg.Client.prototype.query as (...args: unknown[]) => unknown).apply(client, args);
    const send = (config: string | pg.QueryConfig, values?: unknown[]) => pgQuery(config, values) as Promise<pg.QueryResult>;
    const query: Query = async (text, values) => {
      // Kysely's begin, start transaction …, commit and rollback: short texts of their own.
      if (text.length < TRANSACTION_CONTROL_MAX_CHARS) {
        if (/^(begin|start transaction)\b/i.test(text)) inTransaction = true;
        else if (/^(commit|rollback)\b/i.test(text)) inTransaction = false;
      }
      const name = names.nameFor(text);
      if (!name) return send(text, values);
      try {
        return await send({ name, text, values });
      } catch (error) {
        if ((error as { code?: unknown }).code !== STALE_PLAN) throw error;
        names.refuse(text);
        if (inTransaction) throw error;
        return send(text, values);
      }
    };
    // Only (text, values) calls are taken over, as Kysely makes them (and the pool's own query, with a callback).
    client.query = ((...args: unknown[]) => {
      const [config, values, callback] = args;
      if (typeof config !== 'string' || !Array.isArray(values)) return pgQuery(...args);
      if (typeof callback !== 'function') return query(config, values);
      query(config, values).then(
        (result) => callback(null, result),
        (error: unknown) => callback(error),
      );
      return undefined;
    }) as typeof client.query;
  });
}
