import type { FastifyBaseLogger } from 'fastify';
import Janode, { type JanodeConnection, type JanodeHandle, type JanodeSession, type JanusMessage } from 'janode';
import VideoRoom from 'janode/plugins/videoroom';
import type { JanusEndpoint } from './janus-process';

// janode logs to stdout at info level by default, and warns about Janus notifications its
// VideoRoom wrapper does not model (moderation, trickle acks): Parley logs what matters itself.
Janode.Logger.setLevel('error');

/** A request Janus's VideoRoom refused (its error code, e.g. 426 no such room, 428 no such feed). */
export class JanusError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

/**
 * How long Janus may take to answer a request before it counts as failed. Without a bound, one
 * that never came back would hold up every later request of its participant (they run in order).
 */
const REQUEST_TIMEOUT_MS = 15_000;

const NO_SUCH_ROOM = 426;
const ROOM_EXISTS = 427;
const NO_SUCH_FEED = 428;

/**
 * One connection and Janus session for this node, opened on first use and again after Janus
 * went away. Room administration goes through one handle; each participant's publisher and
 * subscriber get handles of their own (`attach`).
 */
export class JanusClient {
  private session: Promise<{ connection: JanodeConnection; session: JanodeSession; admin: JanodeHandle }> | null = null;
  /**
   * Rooms this node created, found or is creating, so each is created once: people joining
   * together wait for the same request (Janus logs an error for each create of a room that
   * exists). Janus is asked again after a reconnect.
   */
  private readonly rooms = new Map<string, Promise<void>>();

  constructor(
    readonly endpoint: JanusEndpoint,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /** A new VideoRoom handle (a participant's publisher or subscriber). */
  async attach(): Promise<JanodeHandle> {
    const { session } = await this.open();
    return session.attach(VideoRoom);
  }

  /** Creates the call's room unless it exists. Room IDs are channel IDs. */
  ensureRoom(room: string, maxPublishers: number): Promise<void> {
    const known = this.rooms.get(room);
    if (known) return known;
    const made = this.createRoom(room, maxPublishers);
    this.rooms.set(room, made);
    // A create that failed is tried again by the next joiner.
    made.catch(() => this.rooms.get(room) === made && this.rooms.delete(room));
    return made;
  }

  private async createRoom(room: string, maxPublishers: number): Promise<void> {
    try {
      await this.request({
        request: 'create',
        room,
        admin_key: this.endpoint.adminKey,
        publishers: maxPublishers,
        audiocodec: 'opus',
        // VP8 only: the end-to-end encryption keeps VP8's frame header readable, which the
        // packetizer and the SFU's simulcast need (calls-e2ee.md).
        videocodec: 'vp8',
        fir_freq: 10,
        notify_joining: false,
      });
    } catch (error) {
      if (!(error instanceof JanusError && error.code === ROOM_EXISTS)) throw error;
    }
  }

  async destroyRoom(room: string): Promise<void> {
    this.rooms.delete(room);
    await this.ignoring([NO_SUCH_ROOM], () => this.request({ request: 'destroy', room }));
  }

  /** Stops (or resumes) forwarding a publisher's streams: how server mute holds in the SFU. */
  async moderate(room: string, feed: string, mids: string[], mute: boolean): Promise<void> {
    for (const mid of mids) await this.ignoring([NO_SUCH_ROOM, NO_SUCH_FEED], () => this.request({ request: 'moderate', room, id: feed, mid, mute }));
  }

  /** Takes a publisher out of the room, its media with it (it left, or was removed). */
  async kick(room: string, feed: string): Promise<void> {
    await this.ignoring([NO_SUCH_ROOM, NO_SUCH_FEED], () => this.request({ request: 'kick', room, id: feed }));
  }

  async close(): Promise<void> {
    const open = this.session;
    this.session = null;
    if (!open) return;
    const { connection } = await open.catch(() => ({ connection: null }));
    await connection?.close().catch(() => undefined);
  }

  private async request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { admin } = await this.open();
    try {
      return pluginData(await ask(admin, body));
    } catch (error) {
      throw asJanusError(error);
    }
  }

  private async ignoring(codes: number[], run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof JanusError && error.code !== null && codes.includes(error.code))) throw error;
    }
  }

  private open() {
    this.session ??= (async () => {
      const connection = await Janode.connect({ address: { url: this.endpoint.url, apisecret: this.endpoint.apiSecret }, max_retries: 1 });
      connection.once(Janode.EVENT.CONNECTION_CLOSED!, () => {
        this.logger.warn('The connection to Janus closed: the next big-call request reconnects');
        this.session = null;
        this.rooms.clear();
      });
      connection.on(Janode.EVENT.CONNECTION_ERROR!, (error: unknown) => this.logger.warn({ err: error }, 'Janus connection error'));
      const session = await connection.create(30);
      const admin = await session.attach(VideoRoom);
      return { connection, session, admin };
    })().catch((error: unknown) => {
      this.session = null;
      throw error;
    });
    return this.session;
  }
}

/** A VideoRoom request on a handle: Janus's answer, or an error after REQUEST_TIMEOUT_MS. */
export function ask(handle: JanodeHandle, body: object, jsep?: object): Promise<JanusMessage> {
  return handle.sendRequest({ janus: 'message', body, ...(jsep && { jsep }) }, REQUEST_TIMEOUT_MS);
}

/** The VideoRoom's answer, or a JanusError when it is an error. */
export function pluginData(message: JanusMessage): Record<string, unknown> {
  const data = message.plugindata?.data ?? {};
  if (typeof data.error === 'string') throw new JanusError(data.error, typeof data.error_code === 'number' ? data.error_code : null);
  return data;
}

/** janode rejects with an Error carrying `_code` for VideoRoom errors: the same as a JanusError. */
export function asJanusError(error: unknown): JanusError {
  if (error instanceof JanusError) return error;
  const code = (error as { _code?: unknown })._code;
  return new JanusError(error instanceof Error ? error.message : String(error), typeof code === 'number' ? code : null);
}
