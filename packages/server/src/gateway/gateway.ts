import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ALL_INTENTS, GATEWAY_VERSION, GatewayCloseCode, GatewayOpcode, type InboundFrame as Frame, InboundFrame, INTENTS_MAX, Limits, type PresenceStatus, type Snowflake } from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { type Audience, CLOSE_CONNECTIONS, type EventLog, type LogEntry } from '../bus/event-log';
import type { Clock } from '../core/clock';
import type { Tables } from '../db/tables';
import type { Metrics } from '../metrics/metrics';
import { ApiError } from '../http/errors';
import type { Auth } from '../http/routes';
import type { EventPublisher } from '../events/publisher';
import { type Calls, type VoiceSession, VoiceRefusal } from '../features/calls/calls';
import type { CacheBus } from '../cache/bus';
import type { GuildReads } from '../features/guilds/guild-reads';
import { guildCreatePayload, loadMembers } from '../features/guilds/payloads';
import { toPresence } from '../presence/payload';
import type { PresenceStore } from '../presence/presence-store';
import { StreamCompressor, ZLIB_STREAM } from './compression';
import { Connection } from './connection';
import { GuildPresences } from './guild-presences';
import { textFrame } from './frame';
import { mayHavePartners, partnerPresenceEvents } from '../presence/partners';
import { IdentifyReads } from './identify-reads';
import { buildReady, guildIdsOf, largeGuilds, largeGuildsOf, MemberCounts } from './ready';
import type { GatewaySession, SessionStore } from './session-store';
import { setAdd, setRemove } from './set-map';
import { GATEWAY_PATH, gatewayUrl } from './url';

export interface GatewayOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** Overrides the ws(s)://host the client connected to, for resume_gateway_url. */
  publicUrl: string | null;
}

export interface GatewayDeps {
  db: Kysely<Tables>;
  log: EventLog;
  events: EventPublisher;
  presence: PresenceStore;
  /** What this node keeps of each guild for the guilds' views (READY, GUILD_CREATE). */
  guildReads: GuildReads;
  /** Tells when this node's caches have heard of every change up to a log position. */
  cacheBus: CacheBus;
  sessions: SessionStore;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** Resolves an IDENTIFY / RESUME token (a person's session token or a bot token). */
  authenticate: (token: string) => Promise<Auth>;
  calls: Calls;
  metrics: Metrics;
}

/** Inbound frames allowed per connection per minute before it is closed with 4008 (Discord's limit). */
const FRAMES_PER_MINUTE = 120;
/**
 * Call signaling (ops 40 and 41) has its own budget on top: joining an 8-person mesh takes ~40
 * frames (offers, answers, candidate batches, keys), a big call's SFU requests and keys about as
 * many, and ICE restarts add more.
 */
const SIGNALS_PER_MINUTE = 600;
/** REQUEST_GUILD_MEMBERS answered at most this often per connection; faster ones get RATE_LIMITED. */
const MEMBER_REQUEST_INTERVAL_MS = 1000;
/**
 * How often open connections' sign-in sessions are checked against the database: the safety
 * net for revocations that did not go through this server's routes (`parley admin
 * reset-password` run beside it). Revocations through the API close connections at once.
 */
const SIGN_IN_CHECK_MS = 30_000;

/**
 * The WebSocket gateway: Discord's v10 protocol over `ws`. It reads the shared event log and
 * delivers each entry to the local connections in its audience, serialising the frame once per
 * entry however many receive it. Connections index by user and by guild for that lookup.
 */
export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: Limits.gatewayFrameMaxBytes, perMessageDeflate: false });
  private readonly connections = new Set<Connection>();
  /** The clean-ups of closed connections still running (close() waits for them). */
  private readonly cleanups = new Set<Promise<void>>();
  /** Set by close(): called when the last connection has closed. */
  private drained: (() => void) | null = null;
  /** The node is stopping (close()): its connections go to resume on another node, not offline. */
  private stopping = false;
  private readonly byUser = new Map<Snowflake, Set<Connection>>();
  private readonly byGuild = new Map<Snowflake, Set<Connection>>();
  /** A session has one connection at a time (a resume replaces it). */
  private readonly bySession = new Map<string, Connection>();
  /** People's connections by the sign-in session whose token identified them (to close on revoke). */
  private readonly bySignIn = new Map<Snowflake, Set<Connection>>();
  /** Who hears which server's presences: everyone in small servers, followers in large ones (guild-presences.ts). */
  private readonly guildPresences: GuildPresences;
  /** Each guild's member count, kept until someone joins or leaves it. */
  private readonly memberCounts = new MemberCounts();
  /** What identifies read about their users, shared by those under way at once. */
  private readonly reads: IdentifyReads;
  private readonly sweeper: NodeJS.Timeout;
  private readonly signInCheck: NodeJS.Timeout;

  constructor(
    private readonly deps: GatewayDeps,
    private readonly options: GatewayOptions,
  ) {
    this.guildPresences = new GuildPresences(deps);
    this.reads = new IdentifyReads(deps.db);
    deps.log.subscribe((entry) => this.dispatch(entry));
    // This node missed events: its sessions resume (replaying what the log still has) or start afresh.
    deps.log.onLoss(() => {
      for (const connection of this.connections) connection.requestReconnect();
    });
    // Presence changed without a local connection doing anything (another node died): tell the guilds.
    deps.presence.onBackgroundChange((userId, change) => void this.publishBackgroundPresence(userId, change.after));
    // One timer for all connections: zombies (no heartbeat) and sessions never identified.
    this.sweeper = setInterval(() => this.sweep(), Math.max(250, Math.floor(options.heartbeatMs / 4))).unref();
    this.signInCheck = setInterval(() => void this.closeRevokedSignIns(), SIGN_IN_CHECK_MS).unref();
  }

  /** Takes over HTTP upgrade requests for /gateway on the given server. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== GATEWAY_PATH) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket, request, url));
    });
  }

  /** Number of open connections (for metrics and benchmarks). */
  get size(): number {
    return this.connections.size;
  }

  /**
   * The node is stopping: refuses new connections (503 to the upgrade, so a client retrying lands
   * on another node), asks every client to reconnect (op 7, then close 4000: they resume elsewhere,
   * or here after a restart), then waits until their connections are closed and cleaned up, so the
   * sessions they will resume are saved. Their calls and presence stay: they are resuming, not
   * leaving (closed()).
   */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    clearInterval(this.signInCheck);
    this.wss.close();
    for (const connection of this.connections) connection.requestReconnect();
    // A peer that never answers the close is cut off after 5 s (Connection.close).
    if (this.connections.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await Promise.all(this.cleanups);
  }

  /** Test hook: makes every connection of a user reconnect, as a node restart would. */
  reconnectUser(userId: Snowflake): void {
    for (const connection of this.byUser.get(userId) ?? []) connection.requestReconnect();
  }

  /** Ends the connections whose sign-in session no longer exists (see SIGN_IN_CHECK_MS). */
  async closeRevokedSignIns(): Promise<void> {
    const ids = [...this.bySignIn.keys()];
    try {
      for (let start = 0; start < ids.length; start += 500) {
        const batch = ids.slice(start, start + 500);
        const rows = await this.deps.db.selectFrom('sessions').select('id').where('id', 'in', batch).execute();
        const alive = new Set(rows.map((r) => r.id));
        for (const id of batch) if (!alive.has(id)) for (const c of this.bySignIn.get(id) ?? []) c.end(GatewayCloseCode.AUTHENTICATION_FAILED, 'Signed out');
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'gateway: checking sign-in sessions failed');
    }
  }

  // ---- connection lifecycle ----

  private accept(ws: WebSocket, socket: Duplex, request: IncomingMessage, url: URL): void {
    const version = url.searchParams.get('v');
    const encoding = url.searchParams.get('encoding');
    const compress = url.searchParams.get('compress');
    // Discord's transport compression: one deflate context for the whole connection (compression.ts).
    const compressor = compress === ZLIB_STREAM ? new StreamCompressor() : null;
    const connection = new Connection(randomBytes(12).toString('hex'), ws, socket, gatewayUrl(request, this.options.publicUrl), this.deps.clock.now(), this.options.maxBufferedBytes, compressor);
    this.connections.add(connection);
    ws.on('close', (code) => {
      connection.dispose();
      this.deps.metrics.gatewayClosed(code);
      const cleanup = this.closed(connection, code);
      this.cleanups.add(cleanup);
      void cleanup.finally(() => this.cleanups.delete(cleanup));
    });
    ws.on('error', () => undefined);
    if ((version !== null && version !== String(GATEWAY_VERSION)) || (encoding !== null && encoding !== 'json')) {
      connection.close(GatewayCloseCode.INVALID_API_VERSION, 'Parley speaks gateway v10 with JSON encoding');
      return;
    }
    if (compress !== null && compress !== ZLIB_STREAM) {
      // Said uncompressed (the client may not inflate): which value it sent, and the one offered.
      connection.close(GatewayCloseCode.DECODE_ERROR, `Unsupported compress=${compress.slice(0, 16)}; use compress=zlib-stream or none`);
      return;
    }
    ws.on('message', (data, isBinary) => void this.receive(connection, data as Buffer, isBinary));
    connection.send({ op: GatewayOpcode.HELLO, d: { heartbeat_interval: this.options.heartbeatMs } });
  }

  private async closed(connection: Connection, code: number): Promise<void> {
    connection.state = 'closed';
    this.connections.delete(connection);
    if (this.connections.size === 0) this.drained?.();
    this.unindex(connection);
    if (!connection.userId || !connection.sessionId) return;
    try {
      // Only a clean close by the client (1000/1001), or revoked credentials, end the session;
      // otherwise it stays resumable.
      const clean = code === 1000 || code === 1001 || connection.ended;
      if (clean) await this.deps.sessions.delete(connection.sessionId);
      await this.deps.calls.sessionClosed(voiceSession(connection), clean);
      // Sent away by a stopping node, the user is resuming elsewhere: no offline-then-online flap.
      // Whatever presence this node still holds is swept by the others once it has gone.
      if (this.stopping && !clean) return;
      const change = await this.deps.presence.disconnect(connection.userId, connection.id);
      if (change.before !== change.after) await this.publishPresence(connection.userId, change.after, [...connection.guilds]);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'gateway: cleanup after close failed');
    }
  }

  private sweep(): void {
    const now = this.deps.clock.now();
    // A missed heartbeat plus grace: the peer is gone (half-open TCP); it may resume later.
    const heartbeatDeadline = now - this.options.heartbeatMs * 1.5 - 5000;
    // A socket that never identifies only holds memory: one heartbeat interval to do it.
    const identifyDeadline = now - this.options.heartbeatMs;
    for (const connection of this.connections) {
      if (connection.state === 'awaiting-identify' && connection.openedAt < identifyDeadline) {
        connection.close(GatewayCloseCode.SESSION_TIMED_OUT, 'Identify or resume in time');
      } else if (connection.lastHeartbeatAt < heartbeatDeadline) {
        connection.close(GatewayCloseCode.UNKNOWN_ERROR, 'Heartbeat missed');
      }
    }
  }

  // ---- inbound frames ----

  private async receive(connection: Connection, data: Buffer, isBinary: boolean): Promise<void> {
    if (connection.isClosed) return;
    const now = this.deps.clock.now();
    if (now - connection.windowStartedAt > 60_000) {
      connection.windowStartedAt = now;
      connection.framesInWindow = 0;
      connection.signalsInWindow = 0;
    }
    // Checked before parsing (parsing costs CPU); which budget a frame used is settled after.
    if (++connection.framesInWindow > FRAMES_PER_MINUTE + SIGNALS_PER_MINUTE) {
      this.deps.metrics.gatewayRateLimited('gateway_frames');
      connection.close(GatewayCloseCode.RATE_LIMITED, 'You are sending too many frames');
      return;
    }
    let json: unknown;
    try {
      if (isBinary) throw new Error('binary');
      json = JSON.parse(data.toString('utf8'));
    } catch {
      connection.close(GatewayCloseCode.DECODE_ERROR, 'Frames must be JSON text');
      return;
    }
    const op = (json as { op?: unknown } | null)?.op;
    const signal = op === GatewayOpcode.RTC_SIGNAL || op === GatewayOpcode.SFU_SIGNAL;
    if (signal ? ++connection.signalsInWindow > SIGNALS_PER_MINUTE : connection.framesInWindow - connection.signalsInWindow > FRAMES_PER_MINUTE) {
      this.deps.metrics.gatewayRateLimited('gateway_frames');
      connection.close(GatewayCloseCode.RATE_LIMITED, 'You are sending too many frames');
      return;
    }
    const parsed = InboundFrame.safeParse(json);
    if (!parsed.success) {
      const known = Object.values(GatewayOpcode).includes(op as never);
      connection.close(known ? GatewayCloseCode.DECODE_ERROR : GatewayCloseCode.UNKNOWN_OPCODE, known ? 'Invalid payload' : 'Unknown opcode');
      return;
    }
    const frame = parsed.data;
    // A heartbeat is answered at once; other frames in the order they came (an offer before its
    // candidates), each after the one before has been handled.
    if (frame.op === GatewayOpcode.HEARTBEAT) return this.handleSafely(connection, frame);
    connection.inbound = connection.inbound.then(() => this.handleSafely(connection, frame));
  }

  private async handleSafely(connection: Connection, frame: Frame): Promise<void> {
    if (connection.isClosed) return;
    try {
      await this.handle(connection, frame);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'gateway: handling a frame failed');
      connection.close(GatewayCloseCode.UNKNOWN_ERROR, 'Server error; resume');
    }
  }

  private async handle(connection: Connection, frame: Frame): Promise<void> {
    switch (frame.op) {
      case GatewayOpcode.HEARTBEAT:
        connection.lastHeartbeatAt = this.deps.clock.now();
        connection.send({ op: GatewayOpcode.HEARTBEAT_ACK });
        // Each heartbeat keeps the session resumable for another window, wherever it resumes.
        if (connection.state === 'ready') await this.saveSession(connection);
        return;
      case GatewayOpcode.IDENTIFY:
        return this.identify(connection, frame.d);
      case GatewayOpcode.RESUME:
        return this.resume(connection, frame.d);
      case GatewayOpcode.PRESENCE_UPDATE:
        if (!(await this.requireSession(connection))) return;
        return this.updatePresence(connection, frame.d.status === 'offline' ? 'invisible' : frame.d.status);
      case GatewayOpcode.REQUEST_GUILD_MEMBERS:
        if (!(await this.requireSession(connection))) return;
        return this.requestMembers(connection, frame.d);
      case GatewayOpcode.GUILD_SUBSCRIBE:
        if (!(await this.requireSession(connection))) return;
        if (!connection.guilds.has(frame.d.guild_id)) return;
        return this.guildPresences.follow(connection, frame.d);
      case GatewayOpcode.VOICE_STATE_UPDATE:
        if (!(await this.requireSession(connection))) return;
        return this.voice(connection, frame.d.channel_id, () => this.deps.calls.updateVoiceState(voiceSession(connection), frame.d));
      case GatewayOpcode.RTC_SIGNAL:
        if (!(await this.requireSession(connection))) return;
        return this.voice(connection, frame.d.channel_id, () => this.deps.calls.relay(voiceSession(connection), frame.d));
      case GatewayOpcode.SFU_SIGNAL:
        if (!(await this.requireSession(connection))) return;
        return this.voice(connection, frame.d.channel_id, () => this.deps.calls.sfuSignal(voiceSession(connection), frame.d));
      default: {
        const exhaustive: never = frame;
        return exhaustive;
      }
    }
  }

  /** Runs a call op; a refusal goes back to this session as VOICE_ERROR (the socket stays open). */
  private async voice(connection: Connection, channelId: Snowflake | null, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (error) {
      if (!(error instanceof VoiceRefusal)) throw error;
      connection.sendDispatch('VOICE_ERROR', { channel_id: channelId, code: error.code, message: error.message });
    }
  }

  /**
   * Session ops wait while the session is still syncing: a client may send them as soon as it
   * has READY, which can leave before the server has finished setting the session up.
   */
  private async requireSession(connection: Connection): Promise<boolean> {
    if (connection.state === 'awaiting-identify') connection.close(GatewayCloseCode.NOT_AUTHENTICATED, 'Identify first');
    if (connection.state === 'syncing') await connection.live;
    return connection.state === 'ready';
  }

  private async authenticate(connection: Connection, token: string): Promise<Auth | null> {
    try {
      const auth = await this.deps.authenticate(token);
      // An account with a one-time password may do nothing but replace it, over REST.
      if (auth.user.password_change_required) throw new ApiError('PASSWORD_CHANGE_REQUIRED');
      return auth;
    } catch (error) {
      // Only a credential the server refuses ends the session for good (4004: clients sign out).
      // Anything else (the database busy or away) is worth retrying: 4000 makes clients reconnect.
      if (error instanceof ApiError) {
        connection.close(GatewayCloseCode.AUTHENTICATION_FAILED, 'Authentication failed');
      } else {
        this.deps.logger.warn({ err: error }, 'gateway: could not check a token');
        connection.close(GatewayCloseCode.UNKNOWN_ERROR, 'Try again');
      }
      return null;
    }
  }

  private async identify(connection: Connection, d: Extract<Frame, { op: 2 }>['d']): Promise<void> {
    if (connection.state !== 'awaiting-identify') return connection.close(GatewayCloseCode.ALREADY_AUTHENTICATED, 'Already identified');
    connection.state = 'syncing';
    const auth = await this.authenticate(connection, d.token);
    if (!auth || connection.isClosed) return;
    const bot = auth.user.bot === 1;
    if ((bot && d.intents === undefined) || (d.intents !== undefined && d.intents > INTENTS_MAX)) {
      return connection.close(GatewayCloseCode.INVALID_INTENTS, 'Invalid intents');
    }
    const sessionId = randomBytes(16).toString('hex');
    const status = d.presence?.status === 'offline' ? 'invisible' : (d.presence?.status ?? 'online');
    // Read before the cursor (the guilds index the session), so checked after it.
    let generation = this.deps.cacheBus.generation;
    let memberships = await this.reads.memberships.load(auth.user.id);
    // Bots hear every presence (Discord's GUILD_PRESENCES intent); people only what they follow in large servers.
    const memberCounts = await this.memberCounts.of(this.deps.db, [...memberships.keys()]);
    const largeOf = (counts: ReadonlyMap<Snowflake, number>) => (bot ? new Set<Snowflake>() : largeGuilds(counts, d.large_threshold));
    // Indexed before the head is read: anything later queues up; anything earlier is in READY's state.
    this.attachSession(
      connection,
      { id: sessionId, userId: auth.user.id, bot, intents: d.intents ?? ALL_INTENTS, status, largeThreshold: d.large_threshold },
      auth,
      [...memberships.keys()],
      largeOf(memberCounts),
    );
    connection.cursor = await this.deps.log.head();
    // READY answers as of the cursor: this node's caches have heard of every change before it.
    await this.deps.cacheBus.caughtUp(connection.cursor);
    // Something cached changed since the memberships were read (a role given, a nickname, a guild
    // joined or left): they are read again and the index follows. The cursor stays: what queued up
    // since it is delivered after READY (the state READY holds of it again does no harm).
    while (this.deps.cacheBus.generation !== generation) {
      generation = this.deps.cacheBus.generation;
      memberships = await this.reads.memberships.load(auth.user.id);
      if (connection.isClosed) return;
      for (const guildId of connection.guilds) if (!memberships.has(guildId)) this.unsubscribe(connection, guildId);
      const joined = [...memberships.keys()].filter((guildId) => !connection.guilds.has(guildId));
      if (!joined.length) break;
      const counts = await this.memberCounts.of(this.deps.db, joined);
      if (connection.isClosed) return;
      for (const [guildId, count] of counts) memberCounts.set(guildId, count);
      const large = largeOf(counts);
      for (const guildId of joined) this.subscribe(connection, guildId, large.has(guildId));
      // READY's view of the guilds joined is as fresh as what this node has heard by now.
      await this.deps.cacheBus.caughtUp(await this.deps.log.head());
    }
    const guildIds = [...memberships.keys()];
    await this.saveSession(connection);
    // Read once: the user's DMs (READY's), who hears them come online, and whose presence READY carries.
    const dms = await this.reads.dms.load(auth.user.id);
    const partners = mayHavePartners(dms) ? await this.reads.partners.load(auth.user.id) : [];
    await this.connectPresence(connection, status, partners);
    const ready = await buildReady(this.deps, this.reads, auth.user, { id: sessionId, resumeUrl: connection.resumeUrl }, memberships, {
      dms,
      partners,
      memberCounts,
      largeThreshold: d.large_threshold,
    });
    if (connection.isClosed) return;
    connection.sendDispatch('READY', ready);
    this.deps.metrics.identified();
    if (bot) {
      for (const guildId of guildIds) connection.sendDispatch('GUILD_CREATE', await guildCreatePayload(this.deps, guildId, auth.user.id, { largeThreshold: d.large_threshold, everyPresence: true }));
    } else {
      // Discord's way: calls going on in your DMs follow READY (guild calls are in GUILD_CREATE).
      for (const call of await this.deps.calls.dmCallsOf(auth.user.id)) connection.sendDispatch('CALL_CREATE', call);
    }
    await this.goLive(connection);
  }

  private async resume(connection: Connection, d: Extract<Frame, { op: 6 }>['d']): Promise<void> {
    if (connection.state !== 'awaiting-identify') return connection.close(GatewayCloseCode.ALREADY_AUTHENTICATED, 'Already identified');
    connection.state = 'syncing';
    const auth = await this.authenticate(connection, d.token);
    if (!auth || connection.isClosed) return;
    const session = await this.deps.sessions.get(d.session_id);
    if (session && session.userId === auth.user.id) {
      // Indexed before the log is read, so nothing falls between the replay and live delivery.
      const guildIds = await guildIdsOf(this.deps.db, auth.user.id);
      this.attachSession(connection, session, auth, guildIds, session.bot ? new Set() : await largeGuildsOf(this.deps.db, guildIds, session.largeThreshold));
      connection.cursor = d.seq;
      const missed = await this.deps.log.readAfter(d.seq);
      if (missed) {
        if (!(await this.replay(connection, missed))) return;
        await this.connectPresence(connection, session.status);
        await this.deps.calls.sessionResumed(voiceSession(connection));
        if (connection.isClosed) return;
        if (!(await this.goLive(connection))) return;
        connection.sendDispatch('RESUMED', null);
        this.deps.metrics.resumed('resumed');
        this.deps.logger.debug({ session: session.id, replayed: missed.length }, 'gateway: session resumed');
        return;
      }
      this.unindex(connection);
    }
    // Unknown, expired, someone else's, or older than the log keeps: identify afresh.
    connection.state = 'awaiting-identify';
    connection.sessionId = connection.userId = null;
    connection.guilds.clear();
    this.deps.metrics.resumed('invalid_session');
    connection.send({ op: GatewayOpcode.INVALID_SESSION, d: false });
  }

  /** Binds a connection to its session and indexes it, still syncing (live events queue up). */
  private attachSession(connection: Connection, session: GatewaySession, auth: Auth, guildIds: Snowflake[], large: ReadonlySet<Snowflake>): void {
    connection.sessionId = session.id;
    connection.signInId = auth.session?.id ?? null;
    if (connection.signInId) setAdd(this.bySignIn, connection.signInId, connection);
    connection.userId = session.userId;
    connection.bot = session.bot;
    connection.intents = session.intents;
    connection.status = session.status;
    connection.largeThreshold = session.largeThreshold;
    setAdd(this.byUser, session.userId, connection);
    this.bySession.set(session.id, connection);
    for (const guildId of guildIds) this.subscribe(connection, guildId, large.has(guildId));
  }

  /**
   * Writes entries the session missed, in order, pausing whenever the socket's buffer is half
   * full until the client has read it: a backlog of any size within the resume window goes
   * through at the client's pace instead of tripping the slow-consumer limit. False if the
   * connection closed meanwhile.
   */
  private async replay(connection: Connection, entries: readonly LogEntry[]): Promise<boolean> {
    for (const entry of entries) {
      if (connection.isClosed) return false;
      this.deliver(connection, entry, true);
      if (connection.congested) await connection.drained();
    }
    return !connection.isClosed;
  }

  /**
   * Delivers what queued up while syncing (at the client's pace, more may queue meanwhile),
   * then lets live events through directly. False if the connection closed meanwhile.
   */
  private async goLive(connection: Connection): Promise<boolean> {
    for (let queued = connection.drainPending(); queued.length > 0; queued = connection.drainPending()) {
      if (!(await this.replay(connection, queued))) return false;
    }
    connection.state = 'ready';
    connection.markLive();
    return true;
  }

  // ---- fan-out ----

  private dispatch(entry: LogEntry): void {
    if (entry.t === 'GUILD_MEMBER_ADD' || entry.t === 'GUILD_MEMBER_REMOVE') this.memberChanged(entry);
    // A server's presence change goes to those who get all of its presences; its followers hear of it coalesced.
    const targets = entry.t === 'PRESENCE_UPDATE' && entry.to.guilds ? this.guildPresences.route(entry) : this.connectionsIn(entry.to);
    if (entry.t === CLOSE_CONNECTIONS) {
      // Their credentials were revoked: they end, not to be resumed.
      const { reason } = JSON.parse(entry.d) as { reason: string };
      for (const connection of targets) connection.end(GatewayCloseCode.AUTHENTICATION_FAILED, reason);
      return;
    }
    if (targets.size === 0) return;
    // Serialised and framed once: every recipient is written the same WebSocket frame bytes.
    let frame: Buffer | null = null;
    const build = () => (frame ??= dispatchFrame(entry));
    let delivered = 0;
    for (const connection of targets) if (this.deliver(connection, entry, false, build)) delivered++;
    this.deps.metrics.eventDelivered(delivered, entry.publishedAt);
  }

  /** A member joined or left: the guild's count is read afresh, and one who left leaves its online list. */
  private memberChanged(entry: LogEntry): void {
    const { guild_id: guildId, user } = JSON.parse(entry.d) as { guild_id: Snowflake; user: { id: Snowflake } };
    this.memberCounts.changed(guildId);
    if (entry.t === 'GUILD_MEMBER_REMOVE') this.guildPresences.memberLeft(guildId, user.id);
  }

  /** This node's connections in an audience, through the indexes. */
  private connectionsIn(to: Audience): Set<Connection> {
    const targets = new Set<Connection>();
    for (const userId of to.users ?? []) for (const c of this.byUser.get(userId) ?? []) targets.add(c);
    const excepted = to.exceptUsers?.length ? new Set(to.exceptUsers) : null;
    for (const guildId of to.guilds ?? []) for (const c of this.byGuild.get(guildId) ?? []) if (!excepted?.has(c.userId!)) targets.add(c);
    for (const signInId of to.signIns ?? []) for (const c of this.bySignIn.get(signInId) ?? []) targets.add(c);
    for (const sessionId of to.sessions ?? []) {
      const c = this.bySession.get(sessionId);
      if (c) targets.add(c);
    }
    return targets;
  }

  /**
   * Sends one entry to one connection if its audience and intents include it. During a replay
   * the audience is checked here (the entry was not routed through the index). True when sent.
   */
  private deliver(connection: Connection, entry: LogEntry, replaying: boolean, frame?: () => Buffer): boolean {
    // Replayed after the fact, a revocation needs no acting on: the resume authenticated anew.
    if (entry.t === CLOSE_CONNECTIONS) return false;
    if (entry.intent !== 0 && (connection.intents & entry.intent) === 0) {
      if (entry.seq > connection.cursor && connection.state === 'ready') connection.cursor = entry.seq;
      return false;
    }
    if (replaying && !this.inAudience(connection, entry)) return false;
    const build = frame ?? (() => dispatchFrame(entry));
    if (replaying) {
      if (entry.seq <= connection.cursor) return false;
      connection.cursor = entry.seq;
      connection.sendFrame(build());
    } else if (!connection.offer(entry, build)) {
      return false;
    }
    this.followMembership(connection, entry);
    return true;
  }

  private inAudience(connection: Connection, entry: LogEntry): boolean {
    if (entry.to.users?.includes(connection.userId!)) return true;
    if (entry.to.sessions?.includes(connection.sessionId!)) return true;
    if (entry.to.exceptUsers?.includes(connection.userId!)) return false;
    if (entry.t === 'PRESENCE_UPDATE') return entry.to.guilds?.some((g) => this.guildPresences.getsEvery(connection, g)) ?? false;
    return entry.to.guilds?.some((g) => connection.guilds.has(g)) ?? false;
  }

  /**
   * Guild subscriptions follow what the session is told: a GUILD_CREATE addressed to this user
   * starts one (they joined), any GUILD_DELETE it receives ends it (they left, or it is gone).
   */
  private followMembership(connection: Connection, entry: LogEntry): void {
    if (entry.t === 'GUILD_DELETE') {
      this.unsubscribe(connection, (JSON.parse(entry.d) as { id: Snowflake }).id);
    } else if (entry.t === 'GUILD_CREATE' && entry.to.users?.includes(connection.userId!)) {
      const guild = JSON.parse(entry.d) as { id: Snowflake; large?: boolean };
      this.subscribe(connection, guild.id, !connection.bot && guild.large === true);
    }
  }

  private subscribe(connection: Connection, guildId: Snowflake, large: boolean): void {
    connection.guilds.add(guildId);
    setAdd(this.byGuild, guildId, connection);
    this.guildPresences.joined(connection, guildId, large);
  }

  private unsubscribe(connection: Connection, guildId: Snowflake): void {
    connection.guilds.delete(guildId);
    setRemove(this.byGuild, guildId, connection);
    this.guildPresences.left(connection, guildId);
  }

  private unindex(connection: Connection): void {
    if (connection.userId) setRemove(this.byUser, connection.userId, connection);
    if (connection.signInId) setRemove(this.bySignIn, connection.signInId, connection);
    if (connection.sessionId && this.bySession.get(connection.sessionId) === connection) this.bySession.delete(connection.sessionId);
    for (const guildId of connection.guilds) {
      setRemove(this.byGuild, guildId, connection);
      this.guildPresences.left(connection, guildId);
    }
    this.guildPresences.closed(connection);
  }

  // ---- presence and members ----

  private async connectPresence(connection: Connection, status: PresenceStatus, partners?: Snowflake[]): Promise<void> {
    const change = await this.deps.presence.connect(connection.userId!, connection.id, status);
    if (change.before !== change.after) await this.publishPresence(connection.userId!, change.after, [...connection.guilds], partners);
  }

  private async saveSession(connection: Connection): Promise<void> {
    await this.deps.sessions.save({
      id: connection.sessionId!,
      userId: connection.userId!,
      bot: connection.bot,
      intents: connection.intents,
      status: connection.status,
      largeThreshold: connection.largeThreshold,
    });
  }

  private async updatePresence(connection: Connection, status: PresenceStatus): Promise<void> {
    connection.status = status;
    await this.saveSession(connection);
    const change = await this.deps.presence.setStatus(connection.userId!, status);
    if (change.before !== change.after) await this.publishPresence(connection.userId!, change.after, [...connection.guilds]);
  }

  /**
   * One PRESENCE_UPDATE per guild the user is in (Discord's shape: each names its guild), and
   * one for the people they talk to in DMs outside any shared server (presence/partners.ts).
   */
  private async publishPresence(userId: Snowflake, status: 'online' | 'idle' | 'dnd' | 'offline', guildIds: Snowflake[], partners?: Snowflake[]): Promise<void> {
    await this.deps.events.publish(
      ...guildIds.map((guildId) => ({ t: 'PRESENCE_UPDATE' as const, d: toPresence(userId, status, guildId), to: { guilds: [guildId] } })),
      ...(await partnerPresenceEvents(this.deps.db, userId, status, partners)),
    );
  }

  private async publishBackgroundPresence(userId: Snowflake, status: 'online' | 'idle' | 'dnd' | 'offline'): Promise<void> {
    try {
      await this.publishPresence(userId, status, await guildIdsOf(this.deps.db, userId));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'gateway: publishing a presence change failed');
    }
  }

  private async requestMembers(connection: Connection, d: Extract<Frame, { op: 8 }>['d']): Promise<void> {
    if (!connection.guilds.has(d.guild_id)) return;
    const now = this.deps.clock.now();
    if (now < connection.nextMemberRequestAt) {
      this.deps.metrics.gatewayRateLimited('gateway_member_requests');
      // Discord's answer to a too-frequent request: say when to retry, keep the connection.
      connection.sendDispatch('RATE_LIMITED', {
        opcode: GatewayOpcode.REQUEST_GUILD_MEMBERS,
        retry_after: (connection.nextMemberRequestAt - now) / 1000,
        meta: { guild_id: d.guild_id, ...(d.nonce && { nonce: d.nonce }) },
      });
      return;
    }
    connection.nextMemberRequestAt = now + MEMBER_REQUEST_INTERVAL_MS;
    const { db } = this.deps;
    let query = db.selectFrom('members').selectAll('members').where('members.guild_id', '=', d.guild_id);
    const userIds = d.user_ids === undefined ? null : Array.isArray(d.user_ids) ? d.user_ids : [d.user_ids];
    if (userIds) query = query.where('members.user_id', 'in', userIds.length ? userIds : ['0' as Snowflake]);
    else if (d.query) {
      // Usernames are stored lowercase; LIKE wildcards in the query are escaped, not interpreted.
      const prefix = `${d.query.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      query = query.innerJoin('users', 'users.id', 'members.user_id').where(sql<boolean>`users.username like ${prefix} escape '\\'`);
    }
    const rows = await query
      .orderBy('members.user_id')
      .limit(d.limit || 1000)
      .execute();
    const members = await loadMembers(db, d.guild_id, rows);
    const presences = d.presences ? await this.deps.presence.visible(members.map((m) => m.user.id)) : null;
    connection.sendDispatch('GUILD_MEMBERS_CHUNK', {
      guild_id: d.guild_id,
      members,
      chunk_index: 0,
      chunk_count: 1,
      ...(userIds && { not_found: userIds.filter((id) => !members.some((m) => m.user.id === id)) }),
      ...(presences && { presences: [...presences].map(([id, status]) => toPresence(id, status)) }),
      ...(d.nonce && { nonce: d.nonce }),
    });
  }
}

/** A log entry's dispatch (op 0, its name, its sequence number, its payload) as a WebSocket frame. */
function dispatchFrame(entry: LogEntry): Buffer {
  return textFrame(Buffer.from(`{"op":0,"t":"${entry.t}","s":${entry.seq},"d":${entry.d}}`));
}

function voiceSession(connection: Connection): VoiceSession {
  return { sessionId: connection.sessionId!, userId: connection.userId! };
}
