import { type IceCandidate, type SfuFeed, type SfuSignal, type SfuSignalSend, type SfuStream, type SfuSubscribedStream, Snowflake } from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { JanodeHandle, JanusMessage } from 'janode';
import Janode from 'janode';
import type { EventPublisher } from '../../../events/publisher';
import { event } from '../../../events/publisher';
import { asJanusError, ask, type JanusClient, pluginData } from './janus';
import { Subscription } from './subscription';

/**
 * The SFU side of big calls: for each call session on this node, a publisher handle (what it
 * sends) and a subscriber handle (what it receives) in the call's VideoRoom, driven by the
 * participant's op 41 requests. Janus's answers and offers, and who publishes, go back to that
 * session as SFU_SIGNAL. Rooms are named by channel ID and feeds by gateway session ID, so
 * any node can moderate or remove a participant, wherever its handles live.
 *
 * What Calls decides (who is in the call, its media path) stays there; this class only talks to
 * Janus for a session Calls has checked.
 */

/** A participant's publisher m-lines, in the order its client adds them (docs/calls.md). */
const PUBLISHED_MIDS = { audio: '0', camera: '1', screen: '2' } as const;
const DESCRIPTIONS = Object.entries(PUBLISHED_MIDS).map(([description, mid]) => ({ mid, description }));

export interface SfuParticipant {
  channelId: Snowflake;
  userId: Snowflake;
  sessionId: string;
}

/** What a participant may send now: a server mute stops its audio in the SFU, as does a server deafen or no Speak. */
export interface SfuAllowed {
  audio: boolean;
  camera: boolean;
  screen: boolean;
}

interface Local extends SfuParticipant {
  publisher: JanodeHandle | null;
  subscriber: JanodeHandle | null;
  /** Who else publishes in the room, by feed ID. */
  feeds: Map<string, SfuFeed>;
  /** What the subscriber receives. */
  subscription: Subscription;
  /** Requests run one at a time per participant, in the order they came. */
  queue: Promise<void>;
  closed: boolean;
}

export class Sfu {
  private readonly locals = new Map<string, Local>();
  /** What was last applied to each publisher (room/feed), so unchanged flags cost nothing. */
  private readonly enforced = new Map<string, SfuAllowed>();

  constructor(
    private readonly janus: JanusClient,
    private readonly events: EventPublisher,
    private readonly maxPublishers: number,
    private readonly logger: FastifyBaseLogger,
    /** Stops what serves the SFU (the Janus Parley started), after the handles are gone. */
    private readonly stopJanus: () => Promise<void> = async () => undefined,
  ) {}

  /**
   * Queues a participant's request (Calls checked they are in this call, and that it is on the
   * SFU) behind their earlier ones; resolves once it ran, never rejects. What Janus answers, or
   * an error naming the request, goes back to the participant as SFU_SIGNAL.
   */
  request(participant: SfuParticipant, d: SfuSignalSend, allowed: () => Promise<SfuAllowed>): Promise<void> {
    const local = this.localFor(participant);
    const run = local.queue
      .then(async () => {
        if (local.closed) return;
        try {
          await this.handle(local, d, allowed);
        } catch (error) {
          const janusError = asJanusError(error);
          this.logger.warn({ err: janusError, type: d.type, channelId: local.channelId }, 'An SFU request failed');
          await this.send(local, { type: 'error', channel_id: local.channelId, request: d.type, message: `The media server refused the request: ${janusError.message}` });
        }
      })
      // A failure to tell them must not stop their next requests.
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Could not send an SFU error'));
    local.queue = run;
    return run;
  }

  /** Applies what a participant may send (server mute and deafen, Speak, camera and screen flags); only changes go to Janus. */
  async enforce(channelId: Snowflake, sessionId: string, allowed: SfuAllowed): Promise<void> {
    const key = `${channelId}/${sessionId}`;
    const before = this.enforced.get(key);
    this.enforced.set(key, allowed);
    for (const slot of ['audio', 'camera', 'screen'] as const) {
      if (before?.[slot] !== allowed[slot]) await this.janus.moderate(channelId, sessionId, [PUBLISHED_MIDS[slot]], !allowed[slot]);
    }
  }

  /** A participant left its call (from any node): its media stops at once, and its handles here go. */
  async left(channelId: Snowflake, sessionId: string): Promise<void> {
    this.enforced.delete(`${channelId}/${sessionId}`);
    // Here, detaching its handles takes it out of the room; elsewhere, Janus is asked to.
    if (this.locals.has(sessionId)) return this.drop(sessionId);
    await this.janus.kick(channelId, sessionId).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not remove a participant from the SFU room'));
  }

  async callEnded(channelId: Snowflake): Promise<void> {
    await this.janus.destroyRoom(channelId).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not close an SFU room'));
  }

  /** Local sessions whose call state is gone (removed through another node): their handles go. */
  async sweep(stillIn: (sessionId: string, channelId: Snowflake) => boolean): Promise<void> {
    for (const local of [...this.locals.values()]) if (!stillIn(local.sessionId, local.channelId)) await this.drop(local.sessionId);
  }

  /** Sessions on this node with SFU handles, for the sweep. */
  localSessions(): SfuParticipant[] {
    return [...this.locals.values()].map(({ channelId, userId, sessionId }) => ({ channelId, userId, sessionId }));
  }

  async close(): Promise<void> {
    for (const sessionId of [...this.locals.keys()]) await this.drop(sessionId);
    await this.janus.close();
    await this.stopJanus();
  }

  // ————— inside —————

  private localFor(participant: SfuParticipant): Local {
    const known = this.locals.get(participant.sessionId);
    if (known && known.channelId === participant.channelId && !known.closed) return known;
    if (known) void this.drop(participant.sessionId);
    const local: Local = { ...participant, publisher: null, subscriber: null, feeds: new Map(), subscription: new Subscription(), queue: Promise.resolve(), closed: false };
    this.locals.set(participant.sessionId, local);
    return local;
  }

  private async drop(sessionId: string): Promise<void> {
    const local = this.locals.get(sessionId);
    if (!local) return;
    this.locals.delete(sessionId);
    local.closed = true;
    for (const handle of [local.subscriber, local.publisher]) await handle?.detach().catch(() => undefined);
  }

  private async handle(local: Local, d: SfuSignalSend, allowed: () => Promise<SfuAllowed>): Promise<void> {
    switch (d.type) {
      case 'publish':
        return this.publish(local, d.description, allowed);
      case 'subscribe':
        return this.subscribe(local, d.streams);
      case 'start': {
        if (!local.subscriber) return;
        pluginData(await ask(local.subscriber, { request: 'start' }, d.description));
        return;
      }
      case 'candidates': {
        const handle = d.peer === 'publisher' ? local.publisher : local.subscriber;
        if (handle) await trickle(handle, d.candidates);
        return;
      }
      case 'restart': {
        if (!local.subscriber) return;
        return this.sendOffer(local, await ask(local.subscriber, { request: 'configure', restart: true }));
      }
      case 'layers': {
        if (!local.subscriber) return;
        pluginData(await ask(local.subscriber, { request: 'configure', streams: d.layers.map(({ mid, substream }) => ({ mid, substream })) }));
        return;
      }
    }
  }

  private async publish(local: Local, offer: { type: 'offer'; sdp: string }, allowed: () => Promise<SfuAllowed>): Promise<void> {
    const jsep = { ...offer, e2ee: true };
    if (local.publisher) {
      // A renegotiation (an ICE restart after a network change).
      const response = await ask(local.publisher, { request: 'configure', descriptions: DESCRIPTIONS }, jsep);
      pluginData(response);
      if (response.jsep) await this.send(local, { type: 'answer', channel_id: local.channelId, description: { type: 'answer', sdp: response.jsep.sdp } });
      return;
    }
    await this.janus.ensureRoom(local.channelId, this.maxPublishers);
    const joined = await this.joinNewHandle(
      local,
      { request: 'joinandconfigure', ptype: 'publisher', room: local.channelId, id: local.sessionId, display: local.userId, descriptions: DESCRIPTIONS },
      jsep,
    );
    if (!joined) return;
    const { handle, response } = joined;
    local.publisher = handle;
    this.watchPublisher(local, handle);
    const data = pluginData(response);
    if (!response.jsep) throw new Error('Janus did not answer the offer');
    // Nothing goes out before the server's rules are applied (a server-muted joiner is never heard);
    // all of them, as what was applied before there was a feed did not hold.
    this.enforced.delete(`${local.channelId}/${local.sessionId}`);
    await this.enforce(local.channelId, local.sessionId, await allowed());
    await this.send(local, { type: 'answer', channel_id: local.channelId, description: { type: 'answer', sdp: response.jsep.sdp } });
    this.addFeeds(local, data.publishers);
    await this.sendFeeds(local);
  }

  /**
   * A new handle that joins the room with `body`. Detached again when Janus refuses (a bad offer,
   * a publisher that left, Janus busy: the participant's next request starts afresh), and when
   * the participant left while Janus answered (null: it would stay in the room as a ghost).
   */
  private async joinNewHandle(local: Local, body: object, jsep?: object): Promise<{ handle: JanodeHandle; response: JanusMessage } | null> {
    const handle = await this.janus.attach();
    let response: JanusMessage;
    try {
      response = await ask(handle, body, jsep);
    } catch (error) {
      await handle.detach().catch(() => undefined);
      throw error;
    }
    if (local.closed) {
      await handle.detach().catch(() => undefined);
      return null;
    }
    return { handle, response };
  }

  private watchPublisher(local: Local, handle: JanodeHandle): void {
    const changed = () => void this.sendFeeds(local).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not send the SFU feeds'));
    handle.on('videoroom_publisher_list', (data: { publishers?: unknown }) => {
      this.addFeeds(local, data.publishers);
      changed();
    });
    for (const name of ['videoroom_unpublished', 'videoroom_leaving', 'videoroom_kicked']) {
      handle.on(name, (data: { feed?: unknown }) => {
        if (typeof data.feed !== 'string') return;
        // Our own feed kicked: we were removed from the call elsewhere.
        if (data.feed === local.sessionId) return void this.drop(local.sessionId);
        if (local.feeds.delete(data.feed)) changed();
      });
    }
    handle.once(Janode.EVENT.HANDLE_DETACHED!, () => {
      if (local.publisher === handle) local.publisher = null;
    });
  }

  private addFeeds(local: Local, publishers: unknown): void {
    if (!Array.isArray(publishers)) return;
    for (const raw of publishers as { id?: unknown; feed?: unknown; display?: unknown; streams?: unknown }[]) {
      const feed = raw.id ?? raw.feed;
      // Parley names each publisher by its user ID (`display`) when it joins.
      const userId = Snowflake.safeParse(raw.display);
      if (typeof feed !== 'string' || !userId.success || feed === local.sessionId) continue;
      local.feeds.set(feed, { feed, user_id: userId.data, streams: streamsOf(raw.streams) });
    }
  }

  private async sendFeeds(local: Local): Promise<void> {
    await this.send(local, { type: 'feeds', channel_id: local.channelId, feeds: [...local.feeds.values()] });
  }

  private async subscribe(local: Local, wanted: { feed: string; mid: string }[]): Promise<void> {
    // Only streams that are published now (a feed that just left is simply not asked for).
    const streams = wanted.filter(({ feed, mid }) => local.feeds.get(feed)?.streams.some((s) => s.mid === mid));
    let response: JanusMessage;
    if (!local.subscriber) {
      const subscription = new Subscription();
      const changes = subscription.changesFor(streams);
      if (!changes) return;
      const joined = await this.joinNewHandle(local, { request: 'join', ptype: 'subscriber', room: local.channelId, streams: changes.subscribe, use_msid: false });
      if (!joined) return;
      response = joined.response;
      subscription.applied(changes);
      local.subscriber = joined.handle;
      local.subscription = subscription;
      this.watchSubscriber(local, joined.handle);
    } else {
      const changes = local.subscription.changesFor(streams);
      if (!changes) return;
      const { subscribe, unsubscribe } = changes;
      response = await ask(local.subscriber, { request: 'update', ...(subscribe.length && { subscribe }), ...(unsubscribe.length && { unsubscribe }) });
      pluginData(response);
      local.subscription.applied(changes);
    }
    await this.sendOffer(local, response);
  }

  private watchSubscriber(local: Local, handle: JanodeHandle): void {
    // Janus renegotiates by itself when a publisher we receive leaves or changes its streams.
    handle.on('videoroom_updated', (data: { jsep?: { type: string; sdp: string }; streams?: unknown }) => {
      if (!data.jsep) return;
      void this.sendOffer(local, { janus: 'event', jsep: data.jsep as JanusMessage['jsep'], plugindata: { plugin: 'janus.plugin.videoroom', data: { streams: data.streams } } }).catch(() => undefined);
    });
    handle.once(Janode.EVENT.HANDLE_DETACHED!, () => {
      if (local.subscriber === handle) local.subscriber = null;
    });
  }

  private async sendOffer(local: Local, response: JanusMessage): Promise<void> {
    const data = pluginData(response);
    const streams = subscribedStreamsOf(data.streams);
    if (streams) local.subscription.list(streams);
    if (!response.jsep || response.jsep.type !== 'offer') return;
    await this.send(local, { type: 'offer', channel_id: local.channelId, description: { type: 'offer', sdp: response.jsep.sdp }, streams: local.subscription.listed });
  }

  private async send(local: Local, d: SfuSignal): Promise<void> {
    await this.events.publish(event('SFU_SIGNAL', d, { sessions: [local.sessionId] }));
  }
}

async function trickle(handle: JanodeHandle, candidates: IceCandidate[]): Promise<void> {
  const real = candidates.filter((c) => c.candidate !== '').map(({ candidate, sdpMid, sdpMLineIndex }) => ({ candidate, sdpMid, sdpMLineIndex }));
  if (real.length) await handle.trickle(real);
  if (real.length < candidates.length) await handle.trickleComplete();
}

function streamsOf(raw: unknown): SfuStream[] {
  if (!Array.isArray(raw)) return [];
  const streams: SfuStream[] = [];
  for (const s of raw as { type?: unknown; mid?: unknown; description?: unknown; disabled?: unknown }[]) {
    if ((s.type !== 'audio' && s.type !== 'video') || typeof s.mid !== 'string' || s.disabled === true) continue;
    streams.push({ mid: s.mid, type: s.type, description: typeof s.description === 'string' ? s.description : null });
  }
  return streams.slice(0, 3);
}

function subscribedStreamsOf(raw: unknown): SfuSubscribedStream[] | null {
  if (!Array.isArray(raw)) return null;
  const streams: SfuSubscribedStream[] = [];
  for (const s of raw as { type?: unknown; mid?: unknown; feed_id?: unknown; feed_mid?: unknown; feed_description?: unknown; active?: unknown }[]) {
    if ((s.type !== 'audio' && s.type !== 'video') || typeof s.mid !== 'string' || typeof s.feed_id !== 'string' || typeof s.feed_mid !== 'string' || s.active === false) continue;
    streams.push({ mid: s.mid, feed: s.feed_id, feed_mid: s.feed_mid, type: s.type, description: typeof s.feed_description === 'string' ? s.feed_description : null });
  }
  return streams;
}
