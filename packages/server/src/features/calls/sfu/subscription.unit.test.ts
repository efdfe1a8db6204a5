import type { SfuSubscribedStream } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { Subscription } from './subscription';

/** Janus's list of what a subscriber carries: subscriber mid i for each publisher stream, in order. */
const listing = (...refs: string[]): SfuSubscribedStream[] =>
  refs.map((ref, i) => {
    const [feed, mid] = ref.split('/') as [string, string];
    return { mid: String(i), feed, feed_mid: mid, type: 'audio', description: 'audio' };
  });
const refs = (...list: string[]) => list.map((ref) => ({ feed: ref.split('/')[0]!, mid: ref.split('/')[1]! }));

describe('Subscription', () => {
  it('asks for what is missing and drops what is no longer wanted, from what Janus listed', () => {
    const subscription = new Subscription();
    subscription.list(listing('a/0', 'b/0'));
    expect(subscription.changesFor(refs('a/0', 'c/0', 'c/1'))).toEqual({ subscribe: refs('c/0', 'c/1'), unsubscribe: refs('b/0') });
    expect(subscription.changesFor(refs('b/0', 'a/0'))).toBeNull();
  });

  it('does not ask twice for a stream Janus took while its offer waits for the answer to the one before', () => {
    const subscription = new Subscription();
    subscription.list(listing('a/0'));
    // Janus said "updating": no list until the participant answered the first offer.
    const first = subscription.changesFor(refs('a/0', 'b/0'))!;
    subscription.applied(first);
    expect(subscription.changesFor(refs('a/0', 'b/0', 'c/0'))).toEqual({ subscribe: refs('c/0'), unsubscribe: [] });
    expect(subscription.changesFor(refs('a/0'))).toEqual({ subscribe: [], unsubscribe: refs('b/0') });
    // Its deferred offer lists both, and that list is the record from then on.
    subscription.list(listing('a/0', 'b/0'));
    expect(subscription.changesFor(refs('a/0', 'b/0'))).toBeNull();
    expect(subscription.listed.map((s) => s.mid)).toEqual(['0', '1']);
  });

  it('asks once for a stream wanted twice', () => {
    expect(new Subscription().changesFor(refs('a/0', 'a/0'))).toEqual({ subscribe: refs('a/0'), unsubscribe: [] });
  });
});
