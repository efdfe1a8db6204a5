import type { Duplex } from 'node:stream';
import { GatewayCloseCode, GatewayOpcode, type OutboundFrame, type PresenceStatus, type Snowflake } from '@parley/protocol';
import type WebSocket from 'ws';
import type { LogEntry } from '../bus/event-log';
import type { StreamCompressor } from './compression';
import { binaryFrame, payloadOf } from './frame';
import { WriteBatch } from './write-batch';

/**
 * Every socket's writes are held and let out together (write-batch.ts): one write system call
 * per socket for all the frames it got meanwhile.
 */
const writes = new WriteBatch();

/**
 * One client socket. It starts waiting for IDENTIFY or RESUME; once attached to a session it
 * receives dispatches in log order, each exactly once: `cursor` is the last sequence number
 * it was sent, and anything at or below it is skipped. While the session is being set up
 * (READY being built, or missed events replayed) live events wait in `pending`.
 */
export class Connection {
  /** Unique per socket (a resumed session gets a new one): keys its presence registration. */
  readonly id: string;
  state: 'awaiting-identify' | 'syncing' | 'ready' | 'closed' = 'awaiting-identify';
  sessionId: string | null = null;
  userId: Snowflake | null = null;
  /** People: the sign-in session (sessions table) whose token identified this connection. */
  signInId: Snowflake | null = null;
  /** Closed for good (credentials revoked): its session is not kept for a resume. */
  ended = false;
  bot = false;
  intents = 0;
  status: PresenceStatus = 'online';
  /** IDENTIFY's large_threshold (undefined: the default), kept for a resume. */
  largeThreshold: number | undefined;
  /** Guilds this session hears about; kept in step with the GUILD_CREATE / GUILD_DELETE it is sent. */
  readonly guilds = new Set<Snowflake>();
  cursor = 0;
  readonly openedAt: number;
  lastHeartbeatAt: number;
  /** Inbound frames in the current rate-limit window, and of those, call signals (op 40). */
  framesInWindow = 0;
  signalsInWindow = 0;
  windowStartedAt: number;
  /** When REQUEST_GUILD_MEMBERS may next be answered (it costs database work). */
  nextMemberRequestAt = 0;
  /** The last inbound frame being handled: the next one waits for it, so frames take effect in the order sent. */
  inbound: Promise<void> = Promise.resolve();
  private pending: LogEntry[] = [];
  private isCorked = false;
  /** Resolves when the session goes live (ops sent while it syncs wait for it). */
  readonly live: Promise<void>;
  markLive!: () => void;

  constructor(
    id: string,
    private readonly socket: WebSocket,
    /** The TCP (or TLS) stream under the WebSocket, corked while frames gather (see `writes`). */
    private readonly stream: Duplex,
    /** ws/wss URL clients should resume at. */
    readonly resumeUrl: string,
    now: number,
    private readonly maxBufferedBytes: number,
    /**
     * `compress=zlib-stream`: every payload goes through this connection's own deflate context
     * and leaves as a binary frame. Null (the usual case) sends the shared fan-out frames as is.
     */
    private readonly compressor: StreamCompressor | null = null,
  ) {
    this.id = id;
    this.openedAt = now;
    this.lastHeartbeatAt = now;
    this.windowStartedAt = now;
    this.live = new Promise((resolve) => (this.markLive = resolve));
  }

  /** Read through a getter: the state changes under awaits, which TypeScript's narrowing cannot see. */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Sends a frame given as JSON text or as an object to serialise. */
  send(frame: OutboundFrame | string): void {
    if (!this.writable()) return;
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    if (this.compressor) this.sendCompressed(text);
    else this.socket.send(text);
  }

  /**
   * Sends a complete WebSocket frame (frame.ts) shared by every recipient of a fan-out: written
   * to the stream as is, past ws's per-socket framing. ws writes its own frames synchronously
   * (no compression is negotiated), so frames still leave in the order they were sent. A
   * compressed connection compresses the frame's payload in its own context instead.
   */
  sendFrame(frame: Buffer): void {
    // Not after a close frame either way: a client's close leaves us CLOSING before 'close'.
    if (!this.writable() || this.socket.readyState !== this.socket.OPEN) return;
    if (this.compressor) this.sendCompressed(payloadOf(frame));
    else this.stream.write(frame);
  }

  /**
   * Every payload of a compressed connection (ws's `send` included) goes through here, so they
   * all come back from the one deflate context in the order they were sent, and are written in
   * that order. Written past ws like `sendFrame`'s frames, each complete, so ws's own frames
   * (pongs, the close frame) fall between messages, never inside one.
   */
  private sendCompressed(payload: Buffer | string): void {
    this.compressor!.compress(payload, (compressed) => {
      // Cut off meanwhile (slow consumer), or the close frame already left: nothing may follow it.
      if (this.socket.readyState !== this.socket.OPEN) return;
      this.cork();
      this.stream.write(binaryFrame(compressed));
    });
  }

  /** False (and the socket closed) for a slow consumer; otherwise corks the stream for this turn. */
  private writable(): boolean {
    if (this.state === 'closed') return false;
    // A compressed connection's payloads wait in its deflate context before reaching the socket: they count too.
    if (this.socket.bufferedAmount + (this.compressor?.pendingBytes ?? 0) > this.maxBufferedBytes) {
      // A slow consumer is cut loose before it grows our memory; it resumes and replays from the
      // log. No close frame: it would only queue behind the megabytes the peer is not reading.
      this.state = 'closed';
      this.pending = [];
      this.socket.terminate();
      return false;
    }
    this.cork();
    return true;
  }

  /** Holds the stream's writes until the batch is let out (see `writes`). */
  private cork(): void {
    if (!this.isCorked) {
      this.isCorked = true;
      this.stream.cork();
      writes.add(this);
    }
  }

  /** Over half the slow-consumer limit: a replay should wait for `drained` before writing more. */
  get congested(): boolean {
    if (this.compressor) return this.socket.bufferedAmount + this.compressor.pendingBytes > this.maxBufferedBytes / 2;
    return this.socket.bufferedAmount > this.maxBufferedBytes / 2 && this.stream.writableNeedDrain;
  }

  /** Writes out what is buffered and resolves once the client has read it (or the socket closed). */
  async drained(): Promise<void> {
    this.flush();
    if (this.compressor) {
      // First what waits to be compressed, then, if that filled the stream, what waits to be read.
      await this.compressor.idle();
      this.flush();
      if (!this.stream.writableNeedDrain) return;
    }
    return new Promise((resolve) => {
      // Already gone: its 'close' will not come again.
      if (this.stream.destroyed) return resolve();
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** Writes out what gathered (called once per batch for every corked socket). */
  flush(): void {
    this.isCorked = false;
    this.stream.uncork();
  }

  /** A dispatch with a sequence number that is not in the log (READY, GUILD_CREATE for bots, member chunks). */
  sendDispatch(t: string, d: unknown): void {
    this.send(`{"op":0,"t":"${t}","s":${this.cursor},"d":${JSON.stringify(d)}}`);
  }

  /**
   * Offers a log entry. Delivered now if the session is live, queued while it is syncing,
   * skipped if already delivered. Returns true when it was sent.
   */
  offer(entry: LogEntry, frame: () => Buffer): boolean {
    if (entry.seq <= this.cursor) return false;
    if (this.state === 'syncing') {
      this.pending.push(entry);
      return false;
    }
    if (this.state !== 'ready') return false;
    this.cursor = entry.seq;
    this.sendFrame(frame());
    return true;
  }

  /** Ends syncing: hands back the entries that arrived meanwhile, for delivery in order. */
  drainPending(): LogEntry[] {
    const entries = this.pending;
    this.pending = [];
    return entries;
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pending = [];
    // A close frame can sit behind a full buffer; a peer that never reads is cut off anyway.
    // Compressed, it waits for the payloads sent before it (RECONNECT before its close).
    if (this.compressor) void this.compressor.idle().then(() => this.socket.close(code, reason));
    else this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), 5000).unref();
  }

  /** The socket closed: frees the deflate context of a compressed connection. */
  dispose(): void {
    this.compressor?.close();
  }

  /** Closes for good: the session is over and will not be resumed (revoked credentials). */
  end(code: number, reason: string): void {
    this.ended = true;
    this.close(code, reason);
  }

  /** Tells the client to reconnect and resume (server shutdown, rebalancing, tests). */
  requestReconnect(): void {
    this.send({ op: GatewayOpcode.RECONNECT, d: null });
    this.close(GatewayCloseCode.UNKNOWN_ERROR, 'Reconnect requested');
  }
}
