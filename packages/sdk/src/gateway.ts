import {
  type DispatchName,
  type DispatchPayload,
  GATEWAY_VERSION,
  GatewayCloseCode,
  GatewayOpcode,
  type GuildSubscribe,
  type PresenceStatus,
  type Ready,
  type RtcSignalSend,
  type SfuSignalSend,
  type VoiceStateUpdate,
  type Snowflake,
} from '@parley/protocol';
import { Emitter } from './emitter';
import type { ZlibDecoderFactory } from './zlib-stream';

/** What the gateway client tells its listeners: every dispatch event by name, plus its own state. */
export type GatewayEvents = { [K in DispatchName]: DispatchPayload<K> } & {
  /** Every dispatch, whatever its name (for relaying or logging). */
  dispatch: { t: DispatchName; d: unknown };
  /** Connection state changes (show a "reconnecting…" banner on anything but ready). */
  state: GatewayState;
  /** The session could not be resumed: a fresh READY follows; cached state should be rebuilt from it. */
  invalidated: undefined;
  /** The server refused us for good (bad token, bad intents): no more reconnecting. */
  fatal: { code: number; reason: string };
};

export type GatewayState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** The parts of the WebSocket API the client uses (browsers' WebSocket, or the `ws` package in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  /** Set to 'arraybuffer' for compressed connections (browsers would give Blobs; ws gives Buffers either way). */
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface GatewayOptions {
  /** The gateway's ws(s) URL (GET /api/v10/gateway), or a function giving the URL for each (re)connect. */
  url: string | (() => string);
  token: string;
  intents?: number;
  status?: PresenceStatus;
  /** Defaults to the global WebSocket (browsers, Node 22+); pass the `ws` package on Node 20. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect delays: exponential from `initialMs`, capped at `maxMs`, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Transport compression (`compress=zlib-stream`, zlib-stream.ts): what the server sends arrives
   * deflated, typically a fifth or less of the bytes. Needs `inflater`.
   */
  compress?: boolean;
  /** Makes the decoder (one inflate context) for each connection: `nodeZlibInflater` from `@parley/sdk/node-zlib` in Node. */
  inflater?: ZlibDecoderFactory;
}

/** A binary message's bytes, as browsers (ArrayBuffer with binaryType 'arraybuffer') or ws (Buffer) give them. */
function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE_CODES = new Set<number>([GatewayCloseCode.AUTHENTICATION_FAILED, GatewayCloseCode.INVALID_API_VERSION, GatewayCloseCode.INVALID_INTENTS, 4010, 4011, 4014]);
/** Close codes after which the session is gone: identify afresh rather than resume. */
const SESSION_ENDING_CLOSE_CODES = new Set<number>([GatewayCloseCode.INVALID_SEQ, GatewayCloseCode.SESSION_TIMED_OUT]);
/** What the client sends when it closes to reconnect: anything but 1000/1001 keeps the session resumable. */
const RECONNECT_CLOSE = 4900;
/**
 * Told to reconnect (op 7: its node is stopping), the client resumes at once, not after a backoff,
 * at a random moment within this window: a node's thousands of clients do not all arrive at the
 * others in the same millisecond.
 */
const SENT_AWAY_SPREAD_MS = 500;

/**
 * A connection to Parley's gateway (Discord v10 protocol) that stays up: it heartbeats, notices
 * a dead link (a heartbeat not acknowledged), reconnects with backoff and resumes the session,
 * so listeners see every event exactly once and in order, across drops.
 */
export class GatewayClient extends Emitter<GatewayEvents> {
  state: GatewayState = 'idle';
  sessionId: string | null = null;
  /** The last sequence number received: what a resume continues from. */
  seq: number | null = null;
  private resumeUrl: string | null = null;
  /** Whether the current socket got HELLO (a server answered). */
  private greeted = false;
  private socket: WebSocketLike | null = null;
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private awaitingAck = false;
  private attempts = 0;
  /** The server asked us to reconnect (op 7): the next attempt goes at once, through `url`. */
  private sentAway = false;
  private readonly WebSocketImpl: WebSocketConstructor;

  constructor(private readonly options: GatewayOptions) {
    super();
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!impl) throw new Error('No WebSocket implementation: pass one (e.g. the `ws` package) as options.WebSocket');
    this.WebSocketImpl = impl;
    if (options.compress && !options.inflater) throw new Error('compress needs an inflater: in Node, nodeZlibInflater from @parley/sdk/node-zlib');
  }

  /**
   * The session's token changed (turning 2FA on or off rotates it): the open connection stays,
   * and the next resume or identify sends the new one.
   */
  setToken(token: string): void {
    this.options.token = token;
  }

  /** Connects and resolves with READY (rejects if the server refuses for good first). */
  connect(): Promise<Ready> {
    const ready = new Promise<Ready>((resolve, reject) => {
      const offReady = this.on('READY', (payload) => {
        offReady();
        offFatal();
        resolve(payload);
      });
      const offFatal = this.on('fatal', ({ code, reason }) => {
        offReady();
        offFatal();
        reject(new Error(`Gateway refused the connection (${code}): ${reason}`));
      });
    });
    this.open();
    return ready;
  }

  /** Closes for good; the session ends (it cannot be resumed). */
  close(): void {
    this.setState('closed');
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'Client closed');
  }

  /** Drops the connection and resumes it, as after a network blip (useful in tests). */
  reconnect(): void {
    this.socket?.close(RECONNECT_CLOSE, 'Reconnecting');
  }

  updatePresence(status: PresenceStatus): void {
    this.send({ op: GatewayOpcode.PRESENCE_UPDATE, d: { since: null, activities: [], status, afk: false } });
  }

  requestMembers(guildId: Snowflake, options: { query?: string; limit?: number; userIds?: Snowflake[]; presences?: boolean; nonce?: string } = {}): void {
    this.send({
      op: GatewayOpcode.REQUEST_GUILD_MEMBERS,
      d: {
        guild_id: guildId,
        limit: options.limit ?? 0,
        ...(options.query !== undefined && { query: options.query }),
        ...(options.userIds && { user_ids: options.userIds }),
        ...(options.presences && { presences: true }),
        ...(options.nonce && { nonce: options.nonce }),
      },
    });
  }

  /**
   * Which presences of a large server to follow (op 14), replacing what was followed there:
   * the first `online` online members and `members` by ID; neither stops. Answered with
   * GUILD_PRESENCES. A new session follows nothing: PresenceFollower (presence-follow.ts) asks again.
   */
  followPresences(d: GuildSubscribe): void {
    this.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d });
  }

  /** Joins, moves within, leaves (channel_id null) or updates your flags in a call (op 4). */
  updateVoiceState(d: VoiceStateUpdate): void {
    this.send({ op: GatewayOpcode.VOICE_STATE_UPDATE, d });
  }

  /** Sends WebRTC signaling to another participant of your call (op 40). Dropped while disconnected. */
  sendRtcSignal(d: RtcSignalSend): void {
    this.send({ op: GatewayOpcode.RTC_SIGNAL, d });
  }

  /** Asks the SFU of a big call for something (op 41): publish, subscribe, answers, candidates, layers. */
  sendSfuSignal(d: SfuSignalSend): void {
    this.send({ op: GatewayOpcode.SFU_SIGNAL, d });
  }

  private send(frame: object): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(frame));
  }

  private open(): void {
    this.clearTimers();
    this.setState(this.sessionId ? 'reconnecting' : 'connecting');
    this.greeted = false;
    const base = this.resumeUrl && this.sessionId ? this.resumeUrl : typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    const compress = this.options.compress ? '&compress=zlib-stream' : '';
    const socket = new this.WebSocketImpl(`${base}?v=${GATEWAY_VERSION}&encoding=json${compress}`);
    this.socket = socket;
    // Both kinds of connection: onclose follows an error (a refused connection too) and decides what to do.
    socket.onerror = () => undefined;
    if (compress) return this.openCompressed(socket);
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(String(event.data));
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.closed(event.code, event.reason);
    };
  }

  /**
   * A compressed connection's handlers: binary frames go through this connection's own inflate
   * context (a new one per connection), which may answer later, so everything that follows a
   * message (the next message, the close) waits for it to be handled first: RECONNECT before the
   * server's close, every replayed event before the client decides how to reconnect.
   */
  private openCompressed(socket: WebSocketLike): void {
    socket.binaryType = 'arraybuffer';
    const reader = this.options.inflater!(
      (text) => {
        if (this.socket === socket) this.receive(text);
      },
      () => {
        // The stream is out of step for good: start again on a new connection (and context), resuming.
        if (this.socket === socket) socket.close(RECONNECT_CLOSE, 'Undecodable compressed data');
      },
    );
    socket.onmessage = (event) => {
      const bytes = bytesOf(event.data);
      if (bytes) reader.push(bytes);
      else
        reader.then(() => {
          if (this.socket === socket) this.receive(String(event.data));
        });
    };
    socket.onclose = (event) => {
      reader.then(() => {
        if (this.socket === socket) this.closed(event.code, event.reason);
      });
      void reader.settled().then(() => reader.close());
    };
  }

  private receive(data: string): void {
    let frame: { op: number; d?: unknown; s?: number | null; t?: DispatchName | null };
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame.op) {
      case GatewayOpcode.HELLO:
        this.greeted = true;
        this.startHeartbeat((frame.d as { heartbeat_interval: number }).heartbeat_interval);
        this.identifyOrResume();
        return;
      case GatewayOpcode.HEARTBEAT_ACK:
        this.awaitingAck = false;
        return;
      case GatewayOpcode.HEARTBEAT:
        this.send({ op: GatewayOpcode.HEARTBEAT, d: this.seq });
        return;
      case GatewayOpcode.RECONNECT:
        // The node that asked is going away: resume through `url` (the load balancer, another
        // node), not resume_gateway_url, which may name the node itself.
        this.sentAway = true;
        this.resumeUrl = null;
        this.reconnect();
        return;
      case GatewayOpcode.INVALID_SESSION:
        this.sessionId = null;
        this.seq = null;
        this.resumeUrl = null;
        this.emit('invalidated', undefined);
        this.identifyOrResume();
        return;
      case GatewayOpcode.DISPATCH:
        this.dispatch(frame.t!, frame.s ?? null, frame.d);
        return;
    }
  }

  private dispatch(t: DispatchName, s: number | null, d: unknown): void {
    if (s !== null && (this.seq === null || s > this.seq)) this.seq = s;
    if (t === 'READY') {
      const ready = d as Ready;
      this.sessionId = ready.session_id;
      this.resumeUrl = ready.resume_gateway_url;
    }
    if (t === 'READY' || t === 'RESUMED') {
      this.attempts = 0;
      this.setState('ready');
    }
    this.emit(t, d as never);
    this.emit('dispatch', { t, d });
  }

  private identifyOrResume(): void {
    if (this.sessionId && this.seq !== null) {
      this.send({ op: GatewayOpcode.RESUME, d: { token: this.options.token, session_id: this.sessionId, seq: this.seq } });
    } else {
      this.send({
        op: GatewayOpcode.IDENTIFY,
        d: {
          token: this.options.token,
          properties: { os: 'unknown', browser: 'parley-sdk', device: 'parley-sdk' },
          ...(this.options.intents !== undefined && { intents: this.options.intents }),
          presence: { since: null, activities: [], status: this.options.status ?? 'online', afk: false },
        },
      });
    }
  }

  private startHeartbeat(intervalMs: number): void {
    this.awaitingAck = false;
    const beat = () => {
      if (this.awaitingAck) {
        // The last heartbeat was never acknowledged: the link is dead even if the socket looks open.
        this.reconnect();
        return;
      }
      this.awaitingAck = true;
      this.send({ op: GatewayOpcode.HEARTBEAT, d: this.seq });
      this.heartbeatTimer = setTimeout(beat, intervalMs);
    };
    // The first beat is jittered so a server restart is not followed by a thundering herd.
    this.heartbeatTimer = setTimeout(beat, Math.floor(intervalMs * Math.random()));
  }

  private closed(code: number, reason: string): void {
    this.clearTimers();
    this.socket = null;
    if (this.state === 'closed') return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.setState('closed');
      this.emit('fatal', { code, reason });
      return;
    }
    // The node named by resume_gateway_url may be gone for good (it died): once it does not answer,
    // reconnect through `url` (another node), which can resume the session just as well.
    if (!this.greeted) this.resumeUrl = null;
    if (SESSION_ENDING_CLOSE_CODES.has(code) && this.sessionId) {
      this.sessionId = null;
      this.seq = null;
      // As after INVALID_SESSION: what happened meanwhile must be fetched (history gaps, unread counts).
      this.emit('invalidated', undefined);
    }
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    // Sent away by a stopping node the client is not failing: no backoff, no attempt counted.
    const delay = this.sentAway ? Math.random() * SENT_AWAY_SPREAD_MS : Math.min(maxMs, initialMs * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    if (!this.sentAway) this.attempts++;
    this.sentAway = false;
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private clearTimers(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.heartbeatTimer = this.reconnectTimer = null;
  }

  private setState(state: GatewayState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
