import { Lru } from './lru';

/** How many entries a cache keeps, and for how long at most. */
export interface CacheOptions {
  max: number;
  /** Default one minute. */
  ttlMs?: number;
}

const DEFAULT_TTL_MS = 60_000;

/**
 * One cache of rows read from the database, emptied whenever one of the tables it was read
 * from is written (on any node: cache/bus.ts). Fill it through load(): a read that an
 * invalidation overtook is answered but not kept, since it may hold what was just changed.
 */
export class ReadCache<K, V> {
  private readonly entries: Lru<K, V>;

  constructor(
    private readonly owner: Caches,
    options: CacheOptions,
  ) {
    this.entries = new Lru(options.max, options.ttlMs ?? DEFAULT_TTL_MS);
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The cached value, or `read()`'s, kept unless an invalidation came in meanwhile (undefined, "not found", is never kept). */
  async load<R extends V | undefined>(key: K, read: () => Promise<R>): Promise<R> {
    const held = this.entries.get(key);
    if (held !== undefined) return held as R;
    const generation = this.owner.generation;
    const value = await read();
    if (value !== undefined && this.owner.generation === generation) this.entries.set(key, value as V);
    return value;
  }

  /** Keeps a value read since `generation` (Caches.generation then), unless an invalidation came in meanwhile. */
  keep(key: K, value: V, generation: number): void {
    if (this.owner.generation === generation) this.entries.set(key, value);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Every cache of one server process, by the tables each was read from. Invalidation is by
 * table and coarse (a write to `members` empties every cache read from it): writes to these
 * tables are rare next to the reads they save (every message send), and coarse cannot be wrong.
 */
export class Caches {
  /** Moves on every invalidation: a fill that started before it is not kept. */
  generation = 0;
  private readonly byTable = new Map<string, ReadCache<unknown, unknown>[]>();
  private readonly all: ReadCache<unknown, unknown>[] = [];

  /** A cache emptied whenever one of `tables` is written. */
  create<K, V>(tables: readonly string[], options: CacheOptions): ReadCache<K, V> {
    const cache = new ReadCache<K, V>(this, options);
    for (const table of tables) this.byTable.set(table, [...(this.byTable.get(table) ?? []), cache as ReadCache<unknown, unknown>]);
    this.all.push(cache as ReadCache<unknown, unknown>);
    return cache;
  }

  /** Whether some cache is read from this table (writes to others need not be announced). */
  watches(table: string): boolean {
    return this.byTable.has(table);
  }

  invalidate(tables: Iterable<string>): void {
    this.generation++;
    for (const table of tables) for (const cache of this.byTable.get(table) ?? []) cache.clear();
  }

  clearAll(): void {
    this.generation++;
    for (const cache of this.all) cache.clear();
  }
}
