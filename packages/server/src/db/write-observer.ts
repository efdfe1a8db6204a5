import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

/**
 * Told, once a write is committed, which tables it changed, before the writer's own `await`
 * resumes: what keeps the per-node caches (cache/) true. Observing at the driver catches every
 * writer, those written later included, without each having to remember to say so.
 */
export type CommittedWrites = (tables: ReadonlySet<string>) => Promise<void>;

/**
 * A statement carrying this comment changes only columns no cache holds (a channel's
 * last_message_id, a session's last_used_at): it is not reported. Add it with
 * `.modifyEnd(sql.raw(UNCACHED_COLUMNS_ONLY))`, or write it into a raw statement. A statement
 * that only sometimes changes a cached row, where the count of rows it changed is not to be had
 * (a part of a WITH statement, an UPDATE … RETURNING), carries it too and reports the table
 * itself through `report()` when it did (a DM send: features/messages/send.ts).
 */
export const UNCACHED_COLUMNS_ONLY = '/* parley: uncached columns only */';

const WRITTEN_TABLE = /\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_][a-z0-9_]*)"?/gi;

/** The tables a statement writes (from its SQL text, the same on both engines). */
export function tablesWritten(sqlText: string): string[] {
  // A SELECT writes nothing (a WITH that writes starts with "with"): most statements, not searched.
  if (sqlText.startsWith('select ') || sqlText.includes(UNCACHED_COLUMNS_ONLY)) return [];
  const tables: string[] = [];
  for (const match of sqlText.matchAll(WRITTEN_TABLE)) tables.push(match[1]!.toLowerCase());
  // "on conflict … do update set": the word after update is no table.
  return tables.filter((t) => t !== 'set');
}

/** Where committed writes are reported; the listener is attached once the app is built. */
export class WriteObserver {
  private listener: CommittedWrites | null = null;

  listen(listener: CommittedWrites): void {
    this.listener = listener;
  }

  /** The dialect, its driver wrapped so that writes are reported once committed. */
  wrap(dialect: Dialect): Dialect {
    return {
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createDriver: () => new ObservedDriver(dialect.createDriver(), this),
    };
  }

  async report(tables: ReadonlySet<string>): Promise<void> {
    if (tables.size && this.listener) await this.listener(tables);
  }
}

/** A connection that notes the tables its statements write until they are committed. */
class ObservedConnection implements DatabaseConnection {
  inTransaction = false;
  pending = new Set<string>();

  constructor(
    readonly inner: DatabaseConnection,
    private readonly observer: WriteObserver,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(query);
    // A write that matched no row changed nothing (a DM already accepted stays accepted).
    if (result.numAffectedRows !== 0n) for (const table of tablesWritten(query.sql)) this.pending.add(table);
    // Outside a transaction each statement commits on its own.
    if (!this.inTransaction) await this.flush();
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const tables = this.pending;
    this.pending = new Set();
    await this.observer.report(tables);
  }
}

class ObservedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly observer: WriteObserver,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ObservedConnection(await this.inner.acquireConnection(), this.observer);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const observed = connection as ObservedConnection;
    await this.inner.beginTransaction(observed.inner, settings);
    observed.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const observed = connection as ObservedConnection;
    await this.inner.commitTransaction(observed.inner);
    observed.inTransaction = false;
    await observed.flush();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const observed = connection as ObservedConnection;
    observed.inTransaction = false;
    observed.pending.clear();
    await this.inner.rollbackTransaction(observed.inner);
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    await this.inner.savepoint!((connection as ObservedConnection).inner, name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2]): Promise<void> {
    // What was written since the savepoint is undone, but noting too much only costs a refill.
    await this.inner.rollbackToSavepoint!((connection as ObservedConnection).inner, name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['releaseSavepoint']>>[2]): Promise<void> {
    await this.inner.releaseSavepoint!((connection as ObservedConnection).inner, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as ObservedConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
