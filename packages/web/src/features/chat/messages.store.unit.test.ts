import type { Message, Snowflake } from '@parley/protocol';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api';
import { useRealtime } from '../realtime/store';
import { useMessages } from './messages';

const channel = '10' as Snowflake;
const message = (id: number) => ({ id: String(id), channel_id: channel, content: `m${id}` }) as Message;

/** The store with its gateway listeners captured, and the REST page answered by hand. */
function setUp() {
  setActivePinia(createPinia());
  const listeners = new Map<string, (payload: unknown) => void>();
  vi.spyOn(useRealtime(), 'on').mockImplementation(((name: string, listener: (payload: unknown) => void) => {
    listeners.set(name, listener);
    return () => listeners.delete(name);
  }) as never);
  let answer!: (page: Message[]) => void;
  vi.spyOn(api, 'request').mockImplementation(() => new Promise((resolve) => (answer = resolve as never)));
  const store = useMessages();
  return {
    store,
    gateway: (name: string, payload: unknown) => listeners.get(name)!(payload),
    /** Answers the page request in flight; the API lists newest first. */
    answerPage: (ids: number[]) => answer(ids.map(message).reverse()),
  };
}

const shown = (store: ReturnType<typeof useMessages>) => store.log(channel).messages.map((m) => Number(m.id));

describe('live messages while a channel is loading', () => {
  beforeEach(() => vi.restoreAllMocks());

  it('keeps a message that arrives while the newest page is on its way, even if the page was read before it', async () => {
    const { store, gateway, answerPage } = setUp();
    const opening = store.openLatest(channel);
    gateway('MESSAGE_CREATE', message(3));
    answerPage([1, 2]);
    await opening;
    expect(shown(store)).toEqual([1, 2, 3]);
  });

  it('shows it once when the page already has it', async () => {
    const { store, gateway, answerPage } = setUp();
    const opening = store.openLatest(channel);
    gateway('MESSAGE_CREATE', message(3));
    answerPage([1, 2, 3]);
    await opening;
    expect(shown(store)).toEqual([1, 2, 3]);
  });

  it('forgets one deleted before the page lands', async () => {
    const { store, gateway, answerPage } = setUp();
    const opening = store.openLatest(channel);
    gateway('MESSAGE_CREATE', message(3));
    gateway('MESSAGE_DELETE', { channel_id: channel, id: '3' });
    answerPage([1, 2]);
    await opening;
    expect(shown(store)).toEqual([1, 2]);
  });

  it('appends live messages once the channel is at the present', async () => {
    const { store, gateway, answerPage } = setUp();
    const opening = store.openLatest(channel);
    answerPage([1, 2]);
    await opening;
    gateway('MESSAGE_CREATE', message(4));
    gateway('MESSAGE_CREATE', message(3));
    expect(shown(store)).toEqual([1, 2, 3, 4]);
  });
});

describe('live messages after a reconnect that could not resume', () => {
  beforeEach(() => vi.restoreAllMocks());

  it('keeps a message that arrives while the catch-up page is on its way', async () => {
    const { store, gateway, answerPage } = setUp();
    const opening = store.openLatest(channel);
    answerPage([1, 2]);
    await opening;
    gateway('invalidated', undefined);
    const catchingUp = store.loadNewer(channel);
    gateway('MESSAGE_CREATE', message(4));
    answerPage([3]);
    await catchingUp;
    expect(shown(store)).toEqual([1, 2, 3, 4]);
  });
});
