import { type DispatchName, type DispatchPayload, Intents } from '@parley/protocol';
import { type Audience, CLOSE_CONNECTIONS, type EventLog, type NewEntry } from '../bus/event-log';

/** A dispatch event on its way out: the payload once, and who may receive it. */
export interface OutgoingEvent<T extends DispatchName = DispatchName> {
  t: T;
  d: DispatchPayload<T>;
  to: Audience;
}

/** Builds an OutgoingEvent with its payload type checked against the event name. */
export function event<T extends DispatchName>(t: T, d: DispatchPayload<T>, to: Audience): OutgoingEvent<T> {
  return { t, d, to };
}

/**
 * What features use to tell connected clients that something happened. Publishing appends to
 * the event log; every node's gateway reads the log and delivers to the sessions concerned.
 * Call it after the change is committed, so nobody hears of something that did not happen.
 */
export class EventPublisher {
  private readonly listeners: ((events: readonly OutgoingEvent[]) => void)[] = [];

  constructor(private readonly log: EventLog) {}

  /** Publishes events in order, as one group (they get consecutive sequence numbers). */
  async publish(...events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.log.append(events.map(toEntry));
    for (const listener of this.listeners) listener(events);
  }

  /**
   * Calls the handler with every group this node publishes, once it is in the log: what happens
   * here, seen once however many nodes read the log (features/push decides what to push from it).
   * The handler must return at once and never throw.
   */
  onPublish(handler: (events: readonly OutgoingEvent[]) => void): void {
    this.listeners.push(handler);
  }

  /**
   * Closes, on every node, the gateway connections whose credentials were just revoked: those
   * of the given sign-in sessions, or every connection of the given users (a bot whose token was
   * reset). They are closed with 4004 Authentication failed, which clients do not retry.
   */
  async closeConnections(to: Pick<Audience, 'users' | 'signIns'>, reason: string): Promise<void> {
    if (!to.users?.length && !to.signIns?.length) return;
    await this.log.append([{ t: CLOSE_CONNECTIONS, d: JSON.stringify({ reason }), to, intent: 0 }]);
  }
}

function toEntry(e: OutgoingEvent): NewEntry {
  const inGuild = typeof (e.d as { guild_id?: unknown } | null)?.guild_id === 'string';
  return { t: e.t, d: JSON.stringify(e.d), to: e.to, intent: intentOf(e.t, inGuild), publishedAt: Date.now() };
}

/** The intent a bot needs to receive an event (Discord's table); 0 means always delivered. */
function intentOf(t: DispatchName, inGuild: boolean): number {
  switch (t) {
    case 'GUILD_CREATE':
    case 'GUILD_UPDATE':
    case 'GUILD_DELETE':
    case 'GUILD_ROLE_CREATE':
    case 'GUILD_ROLE_UPDATE':
    case 'GUILD_ROLE_DELETE':
    case 'CHANNEL_CREATE':
    case 'CHANNEL_UPDATE':
    case 'CHANNEL_DELETE':
    case 'THREAD_CREATE':
    case 'THREAD_UPDATE':
    case 'THREAD_DELETE':
      return Intents.GUILDS;
    case 'CHANNEL_PINS_UPDATE':
      return inGuild ? Intents.GUILDS : Intents.DIRECT_MESSAGES;
    case 'GUILD_MEMBER_ADD':
    case 'GUILD_MEMBER_UPDATE':
    case 'GUILD_MEMBER_REMOVE':
      return Intents.GUILD_MEMBERS;
    case 'GUILD_BAN_ADD':
    case 'GUILD_BAN_REMOVE':
      return Intents.GUILD_MODERATION;
    case 'MESSAGE_CREATE':
    case 'MESSAGE_UPDATE':
    case 'MESSAGE_DELETE':
    case 'MESSAGE_DELETE_BULK':
      return inGuild ? Intents.GUILD_MESSAGES : Intents.DIRECT_MESSAGES;
    case 'MESSAGE_REACTION_ADD':
    case 'MESSAGE_REACTION_REMOVE':
    case 'MESSAGE_REACTION_REMOVE_ALL':
      return inGuild ? Intents.GUILD_MESSAGE_REACTIONS : Intents.DIRECT_MESSAGE_REACTIONS;
    case 'TYPING_START':
      return inGuild ? Intents.GUILD_MESSAGE_TYPING : Intents.DIRECT_MESSAGE_TYPING;
    case 'PRESENCE_UPDATE':
      return Intents.GUILD_PRESENCES;
    case 'VOICE_STATE_UPDATE':
      return inGuild ? Intents.GUILD_VOICE_STATES : 0;
    default:
      return 0;
  }
}
