/** Something whose writes are being held (a corked socket): `flush` lets them out. */
export interface HeldWrites {
  flush(): void;
}

export interface WriteBatchOptions {
  /** The longest a batch waits after the previous flush, however long that flush took (ms; default 10). */
  maxGapMs?: number;
  /** Monotonic milliseconds. */
  now?: () => number;
  /** Runs `flush` after `delayMs` (0: at the end of this turn of the event loop). */
  later?: (flush: () => void, delayMs: number) => void;
}

/**
 * About what one flush to 1,000 sockets takes here (6–10 µs each): a busy server's events wait at
 * most that long for the next write, on top of the one before.
 */
const DEFAULT_MAX_GAP_MS = 10;

const endOfTurnOrLater = (flush: () => void, delayMs: number) => {
  if (delayMs > 0) setTimeout(flush, delayMs);
  else setImmediate(flush);
};

/**
 * Sockets holding back their writes until they can leave together. Each frame is otherwise one
 * write system call per socket (6–10 µs of CPU each on loopback here), which is nearly all of
 * a fan-out's cost (bench/README.md): held, the frames a socket gets meanwhile leave in a single
 * write, and the fan-out no longer delays the HTTP answer to the sender.
 *
 * When to let them out: at the end of the current turn of the event loop, unless the previous
 * flush ended less than its own duration ago, in which case at that point (at most `maxGapMs`
 * after it). So writing takes at most about half of the process's time (while a flush takes
 * under `maxGapMs`), and the requests and query answers that make the next events get the
 * rest. A quiet server (a flush every 50 ms at 20 msg/s to 1,000 sockets, each taking ~10 ms)
 * writes at once, exactly as before; a busy one gathers the events of several turns into each
 * write instead of writing 1,000 sockets again for every message that completes in a turn of
 * its own (sends on PostgreSQL each finish when their last query answers, in turns of their
 * own; a second node's events arrive as Redis answers).
 */
export class WriteBatch {
  private held: HeldWrites[] = [];
  private lastEndedAt = Number.NEGATIVE_INFINITY;
  private lastTookMs = 0;
  private readonly maxGapMs: number;
  private readonly now: () => number;
  private readonly later: (flush: () => void, delayMs: number) => void;

  constructor(options: WriteBatchOptions = {}) {
    this.maxGapMs = options.maxGapMs ?? DEFAULT_MAX_GAP_MS;
    this.now = options.now ?? (() => performance.now());
    this.later = options.later ?? endOfTurnOrLater;
  }

  /** Holds a target's writes until the batch is flushed; the first one of a batch schedules the flush. */
  add(target: HeldWrites): void {
    if (this.held.push(target) > 1) return;
    const gap = Math.min(this.lastTookMs, this.maxGapMs);
    this.later(this.flush, Math.max(0, this.lastEndedAt + gap - this.now()));
  }

  /** Number of targets waiting for the next flush (tests). */
  get size(): number {
    return this.held.length;
  }

  /** Lets every held target's writes out, in the order they were added. */
  readonly flush = (): void => {
    const startedAt = this.now();
    for (const target of this.held.splice(0)) {
      try {
        target.flush();
      } catch {
        // One broken stream (its error handler closes it) must not leave the others held for good.
      }
    }
    this.lastEndedAt = this.now();
    this.lastTookMs = this.lastEndedAt - startedAt;
  };
}
