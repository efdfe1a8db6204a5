/** Keys in one statement at most (far under both engines' limits on bound parameters). */
const MAX_KEYS = 500;

interface Waiting<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * One read for many keys: a key asked for while this read is already under way waits for it to
 * end, then goes with every other key that came meanwhile, in one statement. Alone, a read goes
 * once the current turn's microtasks have run (with the keys asked for alongside). Under load the
 * statements stay few: a join storm of 2,000 identifies made 12,000 statements on PostgreSQL,
 * each a round trip and a wake-up of its backend (bench/README.md, "Issue 17, fourth pass").
 * What a read answers is at least as new as the moment it was asked for.
 */
export class BatchedRead<K, V> {
  private queued = new Map<K, Waiting<V>[]>();
  private running = false;

  constructor(
    /** Reads these keys (at most MAX_KEYS, no repeats); a key missing from the answer gets `missing`. */
    private readonly readMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: () => V,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiting = this.queued.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(key, [{ resolve, reject }]);
      if (this.running) return;
      // After this turn's microtasks: the keys asked for together (a READY's recipients) go together.
      this.running = true;
      queueMicrotask(() => void this.next());
    });
  }

  /** Reads what is queued, then what queued up meanwhile, until nothing is left. */
  private async next(): Promise<void> {
    if (this.queued.size === 0) {
      this.running = false;
      return;
    }
    const batch = new Map<K, Waiting<V>[]>();
    for (const [key, waiting] of this.queued) {
      if (batch.size >= MAX_KEYS) break;
      batch.set(key, waiting);
    }
    for (const key of batch.keys()) this.queued.delete(key);
    try {
      const read = await this.readMany([...batch.keys()]);
      for (const [key, waiting] of batch) for (const w of waiting) w.resolve(read.has(key) ? read.get(key)! : this.missing());
    } catch (error) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
    }
    void this.next();
  }
}
