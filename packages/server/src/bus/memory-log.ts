import type { Clock } from '../core/clock';
import type { EventLog, LogEntry, NewEntry } from './event-log';

export interface RetentionOptions {
  /** How long entries stay replayable, in milliseconds. */
  windowMs: number;
  /** At most this many entries are kept, whatever their age (bounds memory under load). */
  maxEntries: number;
  /**
   * At most about this many bytes of payload are kept (default 128 MiB), counted at two per
   * character as V8 may store them. Entries differ in size a thousandfold: a join storm's
   * GUILD_CREATEs (tens of kB each), held for the whole window, took 400 MB in the bench's idle
   * scenario before a single client had connected.
   */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 128 * 2 ** 20;

/** The log as a restart hands it to the next start (gateway/restart-state.ts). */
export interface MemoryLogSnapshot {
  /** The head: the next start continues numbering after it, so clients' sequence numbers stay valid. */
  seq: number;
  /** The live entries, oldest first, with when each was appended (epoch ms). */
  entries: { entry: LogEntry; at: number }[];
}
const bytesOf = (entry: LogEntry) => 2 * entry.d.length;

/**
 * The event log of a single node, in memory: an array trimmed by age and count. Subscribers are
 * called synchronously in append order, so delivery order equals log order.
 */
export class MemoryEventLog implements EventLog {
  private entries: { entry: LogEntry; at: number }[] = [];
  private first = 0; // index of the oldest live element in `entries`
  private seq = 0;
  /** Payload bytes held by live entries (see `maxBytes`). */
  private bytes = 0;
  private readonly handlers: ((entry: LogEntry) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly retention: RetentionOptions,
  ) {}

  async append(newEntries: readonly NewEntry[]): Promise<number[]> {
    const now = this.clock.now();
    const appended = newEntries.map((fields): LogEntry => ({ ...fields, seq: ++this.seq }));
    for (const entry of appended) {
      this.entries.push({ entry, at: now });
      this.bytes += bytesOf(entry);
    }
    this.trim(now);
    for (const entry of appended) for (const handler of this.handlers) handler(entry);
    return appended.map((entry) => entry.seq);
  }

  subscribe(handler: (entry: LogEntry) => void): void {
    this.handlers.push(handler);
  }

  /** Never called: entries reach subscribers synchronously, inside append, so none can be missed. */
  onLoss(): void {}

  async readAfter(seq: number): Promise<LogEntry[] | null> {
    this.trim(this.clock.now());
    if (seq > this.seq) return null;
    const oldestKept = this.first < this.entries.length ? this.entries[this.first]!.entry.seq : this.seq + 1;
    // Entries between `seq` and the oldest kept one are gone: the client cannot catch up.
    if (seq + 1 < oldestKept) return null;
    if (seq === this.seq) return [];
    // Entries hold consecutive sequence numbers, so a position is an offset from the first.
    const start = seq + 1 - this.entries[0]!.entry.seq;
    return this.entries.slice(start).map((e) => e.entry);
  }

  async head(): Promise<number> {
    return this.seq;
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }

  snapshot(): MemoryLogSnapshot {
    this.trim(this.clock.now());
    return { seq: this.seq, entries: this.entries.slice(this.first) };
  }

  /**
   * Continues a log a previous start snapshotted; only before the first append. Entries that do
   * not run consecutively up to the head are dropped (resuming clients then identify afresh), but
   * numbering always continues after the head.
   */
  restore(snapshot: MemoryLogSnapshot): void {
    if (this.seq !== 0) throw new Error('restore() comes before the first append');
    const consecutive = snapshot.entries.every((e, i) => e.entry.seq === snapshot.seq - snapshot.entries.length + 1 + i);
    this.seq = snapshot.seq;
    this.entries = consecutive ? [...snapshot.entries] : [];
    this.first = 0;
    this.bytes = this.entries.reduce((sum, e) => sum + bytesOf(e.entry), 0);
    this.trim(this.clock.now());
  }

  private trim(now: number): void {
    const { windowMs, maxEntries, maxBytes = DEFAULT_MAX_BYTES } = this.retention;
    while (this.first < this.entries.length && (this.entries.length - this.first > maxEntries || now - this.entries[this.first]!.at > windowMs || this.bytes > maxBytes)) {
      this.bytes -= bytesOf(this.entries[this.first]!.entry);
      this.first++;
    }
    // Compact once the dead prefix is large, so trimming stays O(1) amortised.
    if (this.first > 1024 && this.first * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
  }
}
