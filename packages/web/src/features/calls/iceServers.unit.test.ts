import { describe, expect, it, vi } from 'vitest';

// The module's own cache talks to the app's REST client; these tests give IceServerCache their own fetch.
vi.mock('../../api', () => ({ api: { token: null, request: vi.fn() } }));
const { IceServerCache, isFresh } = await import('./iceServers');

const HOUR = 3_600_000;
const turn = (n: number): RTCIceServer[] => [{ urls: `turn:turn.example.org:3478?n=${n}`, username: `u${n}`, credential: `c${n}` }];

function setup(ttlMs = 12 * HOUR) {
  let now = Date.UTC(2026, 0, 1);
  let token: string | null = 'token-a';
  let fetched = 0;
  const answers: (() => Promise<{ ice_servers: RTCIceServer[]; expires_at: string } | null>)[] = [];
  const fetchServers = vi.fn(() => {
    fetched++;
    const next = answers.shift();
    return next ? next() : Promise.resolve({ ice_servers: turn(fetched), expires_at: new Date(now + ttlMs).toISOString() });
  });
  const cache = new IceServerCache(
    fetchServers,
    () => token,
    () => now,
  );
  return {
    cache,
    fetchServers,
    answers,
    advance: (ms: number) => (now += ms),
    signInAs: (next: string | null) => (token = next),
  };
}

describe('the ICE server cache', () => {
  it('serves a fetched answer again while more than half of its credential lifetime is left', async () => {
    const { cache, fetchServers, advance } = setup(12 * HOUR);
    expect(await cache.get()).toEqual(turn(1));
    advance(6 * HOUR - 1);
    expect(await cache.get()).toEqual(turn(1));
    expect(fetchServers).toHaveBeenCalledTimes(1);
    // Past half the lifetime: a call could outlast the credential (coturn checks it on refreshes), so fetch afresh.
    advance(1);
    expect(await cache.get()).toEqual(turn(2));
    expect(fetchServers).toHaveBeenCalledTimes(2);
  });

  it('shares one request between callers that ask at once (a prefetch and a join)', async () => {
    const { cache, fetchServers } = setup();
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toEqual(turn(1));
    expect(b).toEqual(turn(1));
    expect(fetchServers).toHaveBeenCalledTimes(1);
  });

  it('never hands one account the credentials fetched for another', async () => {
    const { cache, fetchServers, signInAs } = setup();
    expect(await cache.get()).toEqual(turn(1));
    signInAs('token-b');
    expect(await cache.get()).toEqual(turn(2));
    expect(fetchServers).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing from a failed request or a server without the route, and asks again next time', async () => {
    const { cache, fetchServers, answers } = setup();
    answers.push(
      () => Promise.reject(new Error('offline')),
      () => Promise.resolve(null),
    );
    expect(await cache.get()).toEqual([]);
    expect(await cache.get()).toEqual([]);
    expect(await cache.get()).toEqual(turn(3));
    expect(fetchServers).toHaveBeenCalledTimes(3);
  });

  it('judges freshness from when the request was made', () => {
    expect(isFresh(0, 60_000, 0)).toBe(true);
    expect(isFresh(0, 60_000, 29_999)).toBe(true);
    expect(isFresh(0, 60_000, 30_000)).toBe(false);
    // Expired already, or a clock that went back: not fresh.
    expect(isFresh(0, -1, 0)).toBe(false);
    expect(isFresh(10_000, 70_000, 5_000)).toBe(false);
  });
});
