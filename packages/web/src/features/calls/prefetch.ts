/**
 * The call engine is not part of the chat screen's first load (its initial bundle is budgeted),
 * but a click on a voice channel must not wait for it: it is fetched ahead, when the browser is
 * idle after a screen with calls on it shows, or at once when a voice channel is pointed at or
 * focused. Ahead too: libsodium for end-to-end encryption (when on) and the ICE servers (kept
 * while fresh, iceServers.ts). A join then finds them ready (or waits for the same loads).
 */

type Engine = typeof import('./engine/CallSession');

let engine: Promise<Engine> | null = null;

let iceModule: typeof import('./iceServers') | null = null;

/**
 * The ICE servers (iceServers.ts, out of the chat screen's first load too); none if that code
 * would not load. Once loaded, the module is called directly: an import() of a loaded module
 * still waits for a task, which on a busy page (the click's own rendering) took ~50 ms.
 */
export function iceServers(): Promise<RTCIceServer[]> {
  if (iceModule) return iceModule.iceServers();
  return import('./iceServers').then(
    (module) => (iceModule = module).iceServers(),
    () => [],
  );
}
let prefetched = false;

/** The call engine's module, loaded once (a failed load is tried again next time). */
export function loadCallEngine(): Promise<Engine> {
  engine ??= import('./engine/CallSession').catch((error: unknown) => {
    engine = null;
    throw error;
  });
  return engine;
}

/**
 * Loads what a join needs, once per page: the engine, libsodium when `encryption`, the ICE
 * servers. Failures are left to the join, which tries again and says what went wrong.
 */
export function prefetchCalls(encryption: boolean): void {
  if (prefetched) {
    // The servers' credentials may have gone stale since (the cache refetches only then).
    void iceServers();
    return;
  }
  prefetched = true;
  void iceServers();
  const loaded = loadCallEngine();
  if (encryption)
    void loaded
      .then(() => import('./e2ee'))
      .then((e2ee) => e2ee.preloadCallEncryption())
      .catch(() => undefined);
  else void loaded.catch(() => undefined);
}

/** Prefetches once the browser has nothing else to do (a few seconds at most). */
export function prefetchCallsWhenIdle(encryption: () => boolean): void {
  if (prefetched) return;
  const run = () => prefetchCalls(encryption());
  if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: 3_000 });
  else setTimeout(run, 1_000);
}

/** For unit tests: forget what was loaded. */
export function resetPrefetchForTests(): void {
  engine = null;
  iceModule = null;
  prefetched = false;
}
