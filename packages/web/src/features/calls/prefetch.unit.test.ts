import { beforeEach, describe, expect, it, vi } from 'vitest';

const loads = vi.hoisted(() => ({ engine: 0, encryption: 0, iceServers: 0 }));

vi.mock('./engine/CallSession', () => {
  loads.engine++;
  return { CallSession: class {} };
});
vi.mock('./e2ee', () => ({
  preloadCallEncryption: async () => {
    loads.encryption++;
  },
}));
vi.mock('./iceServers', () => ({
  iceServers: async () => {
    loads.iceServers++;
    return [];
  },
}));

const { loadCallEngine, prefetchCalls, prefetchCallsWhenIdle, resetPrefetchForTests } = await import('./prefetch');

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('prefetching calls', () => {
  beforeEach(() => {
    resetPrefetchForTests();
    Object.assign(loads, { encryption: 0, iceServers: 0 });
  });

  it('loads the engine, libsodium and the ICE servers before any join, and the join finds the same engine', async () => {
    prefetchCalls(true);
    await vi.waitFor(() => expect(loads).toMatchObject({ iceServers: 1, encryption: 1 }));
    const pending = loadCallEngine();
    expect(pending).toBe(loadCallEngine());
    expect((await pending).CallSession).toBeTypeOf('function');
  });

  it('leaves libsodium alone when end-to-end encryption is off', async () => {
    prefetchCalls(false);
    await vi.waitFor(() => expect(loads.iceServers).toBe(1));
    await loadCallEngine();
    await settle();
    expect(loads.encryption).toBe(0);
  });

  it('loads once per page, but looks at the ICE servers again each time (their cache refetches stale ones)', async () => {
    prefetchCalls(true);
    await vi.waitFor(() => expect(loads).toMatchObject({ iceServers: 1, encryption: 1 }));
    prefetchCalls(true);
    await vi.waitFor(() => expect(loads.iceServers).toBe(2));
    await settle();
    expect(loads.encryption).toBe(1);
  });

  it('waits for the browser to be idle when asked to', async () => {
    const idle: (() => void)[] = [];
    vi.stubGlobal('requestIdleCallback', (run: () => void) => idle.push(run));
    try {
      prefetchCallsWhenIdle(() => true);
      await settle();
      expect(loads.iceServers).toBe(0);
      idle.shift()!();
      await vi.waitFor(() => expect(loads).toMatchObject({ iceServers: 1, encryption: 1 }));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
