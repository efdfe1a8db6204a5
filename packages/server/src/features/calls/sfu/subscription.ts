import type { SfuSubscribedStream } from '@parley/protocol';

/** A publisher's stream: its feed and its mid in that feed. */
export interface StreamRef {
  feed: string;
  mid: string;
}

const key = ({ feed, mid }: StreamRef) => `${feed}/${mid}`;

/**
 * What a participant's subscriber handle carries in Janus. Janus changes a subscription at once,
 * but while its last offer is unanswered it only says "updating" and sends the offer for the
 * change later: asking again from its last listed streams would subscribe the same stream twice
 * (Janus adds an m-line each time). So changes are counted as carried once Janus took them,
 * and Janus's lists, which come with each offer, set the record straight. (An offer Janus makes
 * by itself, a publisher having left, could be listed before an update it crossed on the way:
 * a narrow window, in which that update's streams would be asked for again.)
 */
export class Subscription {
  /** The streams as Janus last listed them, by subscriber mid (what the participant's client tags its m-lines with). */
  listed: SfuSubscribedStream[] = [];
  private carried = new Map<string, StreamRef>();

  /** Janus listed what the handle carries (with an offer, now or deferred). */
  list(streams: SfuSubscribedStream[]): void {
    this.listed = streams;
    this.carried = new Map(streams.map((s) => [key({ feed: s.feed, mid: s.feed_mid }), { feed: s.feed, mid: s.feed_mid }]));
  }

  /** What to subscribe to and unsubscribe from for the handle to carry exactly `wanted`; null when it does. */
  changesFor(wanted: readonly StreamRef[]): { subscribe: StreamRef[]; unsubscribe: StreamRef[] } | null {
    const want = new Map(wanted.map((s) => [key(s), { feed: s.feed, mid: s.mid }]));
    const subscribe = [...want].filter(([k]) => !this.carried.has(k)).map(([, s]) => s);
    const unsubscribe = [...this.carried].filter(([k]) => !want.has(k)).map(([, s]) => s);
    return subscribe.length || unsubscribe.length ? { subscribe, unsubscribe } : null;
  }

  /** Janus took these changes (its offer for them may come later). */
  applied({ subscribe, unsubscribe }: { subscribe: StreamRef[]; unsubscribe: StreamRef[] }): void {
    for (const s of unsubscribe) this.carried.delete(key(s));
    for (const s of subscribe) this.carried.set(key(s), s);
  }
}
