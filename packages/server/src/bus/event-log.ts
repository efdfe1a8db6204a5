import type { DispatchName, Snowflake } from '@parley/protocol';

/**
 * Who may receive an event: every session subscribed to one of the guilds, every session of
 * one of the users, and the named gateway sessions. Private channels and DMs name their users;
 * public channels their guild; call signaling the one session (device) in the call.
 */
export interface Audience {
  guilds?: Snowflake[];
  /** Not these users, though in one of `guilds` (a channel some overwrite hides from them). */
  exceptUsers?: Snowflake[];
  users?: Snowflake[];
  sessions?: string[];
  /** Connections identified with one of these sign-in sessions' tokens (the sessions table). */
  signIns?: Snowflake[];
}

/**
 * Not an event for clients: tells every node to close the connections in its audience, whose
 * credentials were just revoked. It travels through the log so it reaches every node, in order
 * after anything published before the revocation.
 */
export const CLOSE_CONNECTIONS = 'PARLEY_CLOSE_CONNECTIONS';

/** One dispatch event as stored in the log: the payload already serialised, once for everyone. */
export interface LogEntry {
  /** Position in the log. Doubles as the gateway sequence number every recipient sees. */
  seq: number;
  t: DispatchName | typeof CLOSE_CONNECTIONS;
  /** JSON of the payload. */
  d: string;
  to: Audience;
  /** The gateway intent a bot must have asked for to receive it; 0 for always. */
  intent: number;
  /** When it was published (epoch ms), for the delivery latency metric; absent where unknown. */
  publishedAt?: number;
}

export type NewEntry = Omit<LogEntry, 'seq'>;

/**
 * The ordered log of every dispatch event, shared by all nodes: the fan-out path and the resume
 * buffer in one. Because every node reads the same log in the same order, and sequence numbers
 * are log positions, a client that drops can resume on any node: that node replays the entries
 * after the client's last sequence number that the client may see. Entries are kept for the
 * resume window, then dropped.
 *
 * In-process by default (one node); Redis when REDIS_URL is set (several nodes).
 */
export interface EventLog {
  /** Appends entries in order, atomically as a group; resolves with their sequence numbers. */
  append(entries: readonly NewEntry[]): Promise<number[]>;
  /** Calls the handler for every entry appended from now on, in log order. */
  subscribe(handler: (entry: LogEntry) => void): void;
  /**
   * Calls the handler when this node may have missed entries (its link to a shared log was down
   * longer than entries are kept, or the log was reset): its sessions must resume or re-identify.
   */
  onLoss(handler: () => void): void;
  /** Entries after `seq` up to the head; null when `seq` is older than what is kept (or ahead of the head). */
  readAfter(seq: number): Promise<LogEntry[] | null>;
  /** The sequence number of the latest entry (0 before the first). */
  head(): Promise<number>;
  close(): Promise<void>;
}
