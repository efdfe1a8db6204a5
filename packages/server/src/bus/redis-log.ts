import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock';
import type { EventLog, LogEntry, NewEntry } from './event-log';
import type { RetentionOptions } from './memory-log';

/**
 * Appends a group of entries atomically: one counter bump gives them consecutive sequence
 * numbers, and each becomes stream entry `0-<seq>`, so stream order is sequence order and a
 * position can be looked up by its number. Then trims: by count (approximately, whole stream
 * nodes at a time, which is cheap) and by age (the oldest entries carry their time; usually one
 * look at the oldest entry is all it takes).
 *
 * KEYS: counter, stream, epoch. ARGV: now, windowMs, maxEntries, candidate epoch, then four per
 * entry: t, d, to, intent. Returns the first new sequence number and the epoch.
 */
const APPEND = `
local n = (#ARGV - 4) / 4
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[3], epoch)
end
local last = redis.call('INCRBY', KEYS[1], n)
local first = last - n + 1
for i = 0, n - 1 do
  local a = 5 + i * 4
  redis.call('XADD', KEYS[2], string.format('0-%d', first + i), 'at', ARGV[1], 'ep', epoch, 't', ARGV[a], 'd', ARGV[a + 1], 'to', ARGV[a + 2], 'i', ARGV[a + 3])
end
redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', ARGV[3])
local cutoff = tonumber(ARGV[1]) - tonumber(ARGV[2])
for round = 1, 16 do
  local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', round == 1 and 1 or 64)
  local expired = nil
  for _, e in ipairs(batch) do
    if tonumber(e[2][2]) >= cutoff then break end
    expired = e[1]
  end
  if expired == nil then break end
  redis.call('XTRIM', KEYS[2], 'MINID', string.format('0-%d', tonumber(string.sub(expired, 3)) + 1))
  if expired ~= batch[#batch][1] then break end
end
return {first, epoch}
`;

/** Entries fetched per read, live or replaying. */
const PAGE = 1000;

type StreamEntry = [id: string, fields: string[]];

export interface RedisLogOptions extends RetentionOptions {
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  logger: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  /** How long the reader waits for new entries before checking that the log was not reset (default 5 s). */
  idleCheckMs?: number;
}

/**
 * The event log shared by every node, in a Redis stream. Any node appends; each node runs one
 * reader (a blocking XREAD on its own connection) that hands every entry to its subscribers in
 * stream order, which is sequence order. The reader only moves past an entry once it has
 * delivered it, and asks again from there after a reconnect, so a dropped link neither loses nor
 * repeats entries; if entries were trimmed (or Redis lost its data) while it was away, it says
 * so through onLoss.
 *
 * An epoch (random, stored beside the counter) tells a Redis that restarted empty, whose new
 * sequence numbers would otherwise be mistaken for old ones.
 */
export class RedisEventLog implements EventLog {
  private readonly handlers: ((entry: LogEntry) => void)[] = [];
  private readonly lossHandlers: (() => void)[] = [];
  private readonly keys: { counter: string; stream: string; epoch: string };
  private closed = false;
  private running: Promise<void> = Promise.resolve();
  /** Groups waiting for the append in flight to finish (group commit: `append`). */
  private readonly waiting: PendingAppend[] = [];
  private appending = false;

  private constructor(
    private readonly redis: Redis,
    /** Dedicated to the blocking reads, which would otherwise hold up every other command. */
    private readonly reader: Redis,
    private readonly clock: Clock,
    private readonly options: RedisLogOptions,
  ) {
    const p = `${options.prefix}log:`;
    this.keys = { counter: `${p}seq`, stream: `${p}stream`, epoch: `${p}epoch` };
    redis.defineCommand('parleyLogAppend', { numberOfKeys: 3, lua: APPEND });
  }

  /**
   * Connects the reader and starts it at the current head: every entry appended after open()
   * resolves reaches the subscribers, so head() and readAfter() answers always join up with it.
   */
  static async open(redis: Redis, clock: Clock, options: RedisLogOptions): Promise<RedisEventLog> {
    // Blocking reads wait out reconnects rather than failing after a few retries.
    const reader = redis.duplicate({ maxRetriesPerRequest: null, connectionName: `${options.prefix}log-reader` });
    reader.on('error', (error: Error) => options.logger.warn({ err: error }, 'event log reader: Redis connection error'));
    const log = new RedisEventLog(redis, reader, clock, options);
    const [head, epoch] = await Promise.all([log.head(), redis.get(log.keys.epoch)]);
    log.running = log.read(head, epoch);
    return log;
  }

  /**
   * Group commit: while one append is on its way to Redis, the groups published meanwhile wait
   * and then go together, in the order they were given, in one script call (each group still
   * gets consecutive sequence numbers). A busy node thus makes one round trip, one script run and
   * one trim for many events instead of one each, and the readers get them in one reply; a quiet
   * one sends each group at once, as before.
   */
  append(entries: readonly NewEntry[]): Promise<number[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ entries, resolve, reject });
      if (!this.appending) void this.appendWaiting();
    });
  }

  /** Sends the waiting groups, as many per call as APPEND_BATCH allows, until none is left. */
  private async appendWaiting(): Promise<void> {
    this.appending = true;
    while (this.waiting.length > 0) {
      const batch = takeBatch(this.waiting);
      try {
        let seq = await this.appendNow(batch.flatMap((group) => group.entries));
        for (const group of batch) group.resolve(group.entries.map(() => seq++));
      } catch (error) {
        for (const group of batch) group.reject(error);
      }
    }
    this.appending = false;
  }

  /** One script call; resolves with the first entry's sequence number. */
  private async appendNow(entries: readonly NewEntry[]): Promise<number> {
    const { windowMs, maxEntries } = this.options;
    const args = [this.clock.now(), windowMs, maxEntries, randomBytes(8).toString('hex')];
    const fields = entries.flatMap((e) => [e.t, e.d, JSON.stringify(e.to), e.intent]);
    const [first] = (await (this.redis as RedisWithAppend).parleyLogAppend(this.keys.counter, this.keys.stream, this.keys.epoch, ...args, ...fields)) as [number, string];
    return first;
  }

  subscribe(handler: (entry: LogEntry) => void): void {
    this.handlers.push(handler);
  }

  onLoss(handler: () => void): void {
    this.lossHandlers.push(handler);
  }

  async readAfter(seq: number): Promise<LogEntry[] | null> {
    const head = await this.head();
    if (seq > head || seq < 0) return null;
    const entries: StoredEntry[] = [];
    const oldestAllowed = this.clock.now() - this.options.windowMs;
    // Bounded by the entries between seq and head, a page at a time.
    for (let expected = seq + 1, pages = 0; expected <= head && pages <= Math.ceil((head - seq) / PAGE); pages++) {
      const page = (await this.redis.xrange(this.keys.stream, `0-${expected}`, `0-${head}`, 'COUNT', PAGE)) as StreamEntry[];
      for (const raw of page) {
        const entry = toEntry(raw);
        // A hole (trimmed between pages) or a first entry past the window: the client cannot catch up.
        if (entry.seq !== expected || (entries.length === 0 && entry.at < oldestAllowed)) return null;
        entries.push(entry);
        expected++;
      }
      if (page.length < PAGE) break;
    }
    return entries.length === head - seq ? entries.map(withoutTime) : null;
  }

  async head(): Promise<number> {
    return Number((await this.redis.get(this.keys.counter)) ?? 0);
  }

  /** Stops the reader (the shared command connection belongs to the caller). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.length = 0;
    this.reader.disconnect();
    await this.running;
  }

  private async read(startSeq: number, startEpoch: string | null): Promise<void> {
    let last = startSeq;
    let epoch = startEpoch;
    const lost = (why: string) => {
      this.options.logger.error(`event log: ${why}; this node's sessions must re-sync`);
      for (const handler of this.lossHandlers) handler();
    };
    while (!this.closed) {
      let reply: [string, StreamEntry[]][] | null;
      try {
        reply = (await this.reader.xread('COUNT', PAGE, 'BLOCK', this.options.idleCheckMs ?? 5000, 'STREAMS', this.keys.stream, `0-${last}`)) as [string, StreamEntry[]][] | null;
      } catch (error) {
        if (this.closed) return;
        this.options.logger.warn({ err: error }, 'event log: read failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (!reply) {
        // Idle: a log that was reset (Redis restarted empty) has a new epoch and a lower head.
        const [current, head] = await Promise.all([this.reader.get(this.keys.epoch), this.reader.get(this.keys.counter)]).catch(() => [epoch, null]);
        if (current !== null && current !== epoch) {
          if (epoch !== null) lost('the log was reset');
          epoch = current;
          last = Math.min(last, Number(head ?? 0));
        }
        continue;
      }
      for (const raw of reply[0]?.[1] ?? []) {
        const entry = toEntry(raw);
        if (entry.epoch !== epoch) {
          if (epoch !== null) lost('the log was reset');
          epoch = entry.epoch;
        } else if (entry.seq !== last + 1) {
          lost(`entries ${last + 1}–${entry.seq - 1} were trimmed before this node read them`);
        }
        last = entry.seq;
        this.deliver(withoutTime(entry));
      }
    }
  }

  private deliver(entry: LogEntry): void {
    for (const handler of this.handlers) {
      try {
        handler(entry);
      } catch (error) {
        // One failing subscriber must not stall the log for the others.
        this.options.logger.error({ err: error }, 'event log: a subscriber failed');
      }
    }
  }
}

/** Entries and payload characters one script call carries at most (a join storm's GUILD_CREATEs are tens of kB each). */
const APPEND_BATCH = { entries: 256, chars: 4 * 2 ** 20 };

interface PendingAppend {
  entries: readonly NewEntry[];
  resolve: (seqs: number[]) => void;
  reject: (error: unknown) => void;
}

/** Takes the oldest waiting groups that fit one call (always at least one, whole groups only). */
function takeBatch(waiting: PendingAppend[]): PendingAppend[] {
  let entries = 0;
  let chars = 0;
  let count = 0;
  for (const group of waiting) {
    entries += group.entries.length;
    for (const e of group.entries) chars += e.d.length;
    if (count > 0 && (entries > APPEND_BATCH.entries || chars > APPEND_BATCH.chars)) break;
    count++;
  }
  return waiting.splice(0, count);
}

type RedisWithAppend = Redis & { parleyLogAppend(...args: (string | number)[]): Promise<unknown> };

interface StoredEntry extends LogEntry {
  at: number;
  epoch: string;
}

function toEntry([id, fields]: StreamEntry): StoredEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return {
    seq: Number(id.slice(2)),
    at: Number(f.at),
    epoch: f.ep!,
    t: f.t as LogEntry['t'],
    d: f.d!,
    to: JSON.parse(f.to!) as LogEntry['to'],
    intent: Number(f.i),
  };
}

/** What subscribers see: the append time (the appending node's clock) as when it was published. */
function withoutTime({ at, epoch: _epoch, ...entry }: StoredEntry): LogEntry {
  return { ...entry, publishedAt: at };
}
