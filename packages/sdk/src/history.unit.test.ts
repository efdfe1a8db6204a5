import type { Message, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';
import type { GatewayEvents } from './gateway';
import { HISTORY_PAGE, MessageHistory, aroundEdges, joinLatest, reloadOnNewSession } from './history';
import type { RestClient } from './rest';

const channel = '10' as Snowflake;
const message = (id: number, changes: Partial<Message> = {}) => ({ id: String(id), channel_id: channel, content: `m${id}`, reactions: [], ...changes }) as unknown as Message;
const run = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
const ids = (messages: readonly Message[] | null) => messages?.map((m) => Number(m.id));

/** A gateway the test speaks for. */
class Events extends Emitter<GatewayEvents> {
  fire<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.emit(name, payload);
  }
}

/** A history whose page requests the test answers by hand (recorded with their queries). */
function setUp() {
  const events = new Events();
  const requests: { query: Record<string, unknown>; answer: (ids: number[]) => void; fail: (error: Error) => void }[] = [];
  const rest = {
    request: (_route: unknown, input: { query: Record<string, unknown> }) =>
      new Promise((resolve, reject) => {
        // The API lists newest first.
        requests.push({ query: input.query, answer: (list) => resolve(list.map((id) => message(id)).reverse()), fail: reject });
      }),
  } as unknown as RestClient;
  const history = new MessageHistory(rest, events, { me: () => '1' as Snowflake });
  const shown = () => ids(history.log(channel).messages);
  const last = () => requests.at(-1)!;
  return { events, history, requests, last, shown };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('paging', () => {
  it('opens at the newest page, then pages older until the start', async () => {
    const { history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    expect(last().query).toEqual({ limit: HISTORY_PAGE });
    last().answer(range(101, HISTORY_PAGE));
    await opening;
    expect(history.log(channel)).toMatchObject({ atPresent: true, hasOlder: true, hasNewer: false, loading: false });
    const older = history.loadOlder(channel);
    expect(last().query).toEqual({ limit: HISTORY_PAGE, before: '101' });
    last().answer(range(91, 10));
    await older;
    expect(shown()).toEqual(range(91, 60));
    expect(history.log(channel).hasOlder).toBe(false);
  });

  it('asks for one page at a time', async () => {
    const { history, requests, last } = setUp();
    const opening = history.openLatest(channel);
    last().answer(range(101, HISTORY_PAGE));
    await opening;
    void history.loadOlder(channel);
    void history.loadOlder(channel);
    expect(requests).toHaveLength(2);
  });

  it('jumps into the past around a message and pages newer back to the present', async () => {
    const { history, last, shown } = setUp();
    const jumping = history.jumpTo(channel, '200' as Snowflake);
    expect(last().query).toEqual({ limit: HISTORY_PAGE, around: '200' });
    last().answer(range(176, HISTORY_PAGE));
    expect(await jumping).toBe(true);
    expect(history.log(channel)).toMatchObject({ atPresent: false, hasNewer: true, hasOlder: true });
    const newer = history.loadNewer(channel);
    expect(last().query).toEqual({ limit: HISTORY_PAGE, after: '225' });
    last().answer(range(226, 5));
    await newer;
    expect(shown()).toEqual(range(176, 55));
    expect(history.log(channel)).toMatchObject({ atPresent: true, hasNewer: false });
  });

  it('drops a page that a newer open or jump made stale', async () => {
    const { history, requests, shown } = setUp();
    const jumping = history.jumpTo(channel, '50' as Snowflake);
    const opening = history.openLatest(channel);
    requests[1]!.answer([300, 301]);
    requests[0]!.answer([49, 50, 51]);
    await Promise.all([jumping, opening]);
    expect(shown()).toEqual([300, 301]);
    expect(history.log(channel).atPresent).toBe(true);
  });

  it('keeps the run and says why when a page fails', async () => {
    const { history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer([1, 2]);
    await opening;
    const again = history.openLatest(channel);
    last().fail(new Error('Offline'));
    await again;
    expect(shown()).toEqual([1, 2]);
    expect(history.log(channel)).toMatchObject({ error: 'Offline', loading: false });
  });

  it('joins a fresh newest page onto the cached run when they meet', async () => {
    const { history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer(range(101, HISTORY_PAGE));
    await opening;
    const older = history.loadOlder(channel);
    last().answer(range(51, HISTORY_PAGE));
    await older;
    const reopening = history.openLatest(channel);
    last().answer(range(111, HISTORY_PAGE));
    await reopening;
    expect(shown()).toEqual(range(51, 110));
  });
});

describe('live messages', () => {
  it('keeps a message that arrives while the newest page is on its way, even if the page was read before it', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    events.fire('MESSAGE_CREATE', message(3));
    last().answer([1, 2]);
    await opening;
    expect(shown()).toEqual([1, 2, 3]);
  });

  it('shows it once when the page already has it', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    events.fire('MESSAGE_CREATE', message(3));
    last().answer([1, 2, 3]);
    await opening;
    expect(shown()).toEqual([1, 2, 3]);
  });

  it('forgets one deleted before the page lands', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    events.fire('MESSAGE_CREATE', message(3));
    events.fire('MESSAGE_DELETE', { channel_id: channel, id: '3' as Snowflake } as GatewayEvents['MESSAGE_DELETE']);
    last().answer([1, 2]);
    await opening;
    expect(shown()).toEqual([1, 2]);
  });

  it('adds live messages in ID order once at the present, edits them keeping reactions, and deletes them', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer([1, 2]);
    await opening;
    events.fire('MESSAGE_CREATE', message(4));
    events.fire('MESSAGE_CREATE', message(3));
    events.fire('MESSAGE_CREATE', message(3));
    expect(shown()).toEqual([1, 2, 3, 4]);
    events.fire('MESSAGE_REACTION_ADD', { channel_id: channel, message_id: '4', user_id: '1', emoji: { id: null, name: '👍' } } as GatewayEvents['MESSAGE_REACTION_ADD']);
    events.fire('MESSAGE_UPDATE', message(4, { content: 'edited', reactions: undefined }));
    expect(history.find(channel, '4' as Snowflake)).toMatchObject({ content: 'edited', reactions: [{ count: 1, me: true, emoji: { name: '👍' } }] });
    events.fire('MESSAGE_DELETE_BULK', { channel_id: channel, ids: ['1', '3'] } as GatewayEvents['MESSAGE_DELETE_BULK']);
    expect(shown()).toEqual([2, 4]);
  });

  it('counts reactions up and down, mine apart from others', async () => {
    const { events, history, last } = setUp();
    const opening = history.openLatest(channel);
    last().answer([1]);
    await opening;
    const react = (name: 'MESSAGE_REACTION_ADD' | 'MESSAGE_REACTION_REMOVE', user: string) =>
      events.fire(name, { channel_id: channel, message_id: '1', user_id: user, emoji: { id: null, name: '🎉' } } as GatewayEvents['MESSAGE_REACTION_ADD']);
    react('MESSAGE_REACTION_ADD', '2');
    react('MESSAGE_REACTION_ADD', '1');
    expect(history.find(channel, '1' as Snowflake)?.reactions).toMatchObject([{ count: 2, me: true }]);
    react('MESSAGE_REACTION_REMOVE', '1');
    expect(history.find(channel, '1' as Snowflake)?.reactions).toMatchObject([{ count: 1, me: false }]);
    react('MESSAGE_REACTION_REMOVE', '2');
    expect(history.find(channel, '1' as Snowflake)?.reactions).toEqual([]);
  });

  it('does not append live messages to a run in the past', async () => {
    const { events, history, last, shown } = setUp();
    const jumping = history.jumpTo(channel, '200' as Snowflake);
    last().answer(range(176, HISTORY_PAGE));
    await jumping;
    events.fire('MESSAGE_CREATE', message(900));
    expect(shown()).not.toContain(900);
  });

  it('stops following the gateway when closed', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer([1]);
    await opening;
    history.close();
    events.fire('MESSAGE_CREATE', message(2));
    expect(shown()).toEqual([1]);
  });
});

describe('filling the gap after a session that could not resume', () => {
  it('marks runs as missing their newest part, and the catch-up page plus what arrives meanwhile fill it', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer([1, 2]);
    await opening;
    events.fire('invalidated', undefined);
    expect(history.log(channel)).toMatchObject({ atPresent: false, hasNewer: true });
    // Nothing is appended to a run that may have a hole before it.
    events.fire('MESSAGE_CREATE', message(5));
    const catchingUp = history.loadNewer(channel);
    expect(last().query).toEqual({ limit: HISTORY_PAGE, after: '2' });
    events.fire('MESSAGE_CREATE', message(4));
    last().answer([3]);
    await catchingUp;
    expect(shown()).toEqual([1, 2, 3, 4]);
    expect(history.log(channel).atPresent).toBe(true);
  });

  it('reopening replaces a run the newest page does not meet', async () => {
    const { events, history, last, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer([1, 2]);
    await opening;
    events.fire('invalidated', undefined);
    const reopening = history.openLatest(channel);
    last().answer(range(500, HISTORY_PAGE));
    await reopening;
    expect(shown()).toEqual(range(500, HISTORY_PAGE));
    expect(history.log(channel)).toMatchObject({ atPresent: true, hasOlder: true });
  });
});

describe('kept channels', () => {
  it('forgets the least recently opened channel beyond the limit', async () => {
    const events = new Events();
    const rest = { request: () => Promise.resolve([message(1)]) } as unknown as RestClient;
    const history = new MessageHistory(rest, events, { keptChannels: 2 });
    await history.openLatest('1' as Snowflake);
    await history.openLatest('2' as Snowflake);
    await history.openLatest('1' as Snowflake);
    await history.openLatest('3' as Snowflake);
    expect([...history.state.channels.keys()]).toEqual(['1', '3']);
  });

  it('wraps its state with the reactive function it is given', () => {
    const wrapped: object[] = [];
    const history = new MessageHistory({} as RestClient, new Events(), { reactive: (state) => (wrapped.push(state), state) });
    expect(wrapped).toEqual([history.state]);
  });
});

describe('joinLatest', () => {
  it('joins a newest page that starts inside the cached run', () => {
    expect(ids(joinLatest(run(100, 180), run(150, 199)))).toEqual([...range(100, 50), ...range(150, 50)]);
  });

  it('refuses a page that does not meet the run (messages came in between)', () => {
    expect(joinLatest(run(100, 120), run(150, 199))).toBeNull();
    expect(joinLatest([], run(150, 199))).toBeNull();
    expect(joinLatest(run(100, 120), [])).toBeNull();
  });

  it('takes the page’s version of overlapping messages (a deletion meanwhile)', () => {
    const cached = run(100, 130);
    const page = run(110, 140).filter((m) => m.id !== '120');
    expect(ids(joinLatest(cached, page))).not.toContain(120);
  });
});

describe('aroundEdges', () => {
  const id = (n: number) => String(n) as Snowflake;
  it('a full page around a message has more on both sides', () => {
    expect(aroundEdges(run(1, HISTORY_PAGE), id(HISTORY_PAGE / 2))).toEqual({ hasOlder: true, hasNewer: true });
  });

  it('a short side means that edge of the channel was reached', () => {
    expect(aroundEdges(run(1, 40), id(3))).toEqual({ hasOlder: false, hasNewer: true });
    expect(aroundEdges(run(1, 30), id(28))).toEqual({ hasOlder: true, hasNewer: false });
    expect(aroundEdges(run(1, 5), id(3))).toEqual({ hasOlder: false, hasNewer: false });
  });
});

describe('a new session', () => {
  it('reloads the open channel after a session that could not be resumed, filling a gap hidden behind a message added meanwhile', async () => {
    const { events, history, last, requests, shown } = setUp();
    const opening = history.openLatest(channel);
    last().answer(range(1, 3));
    await opening;
    let reloads = 0;
    const stop = reloadOnNewSession(
      history,
      events,
      () => channel,
      () => reloads++,
    );
    // While the gateway was away, 4 was sent by someone else and 5 (ours) confirmed over REST.
    history.add(message(5));
    expect(shown()).toEqual([1, 2, 3, 5]);
    // A resumed session reloads nothing: its events are replayed.
    events.fire('READY', {} as GatewayEvents['READY']);
    expect(requests).toHaveLength(1);
    events.fire('invalidated', undefined);
    events.fire('READY', {} as GatewayEvents['READY']);
    expect(last().query).toEqual({ limit: HISTORY_PAGE });
    last().answer(range(1, 5));
    await expect.poll(() => reloads).toBe(1);
    expect(shown()).toEqual([1, 2, 3, 4, 5]);
    stop();
  });
});
