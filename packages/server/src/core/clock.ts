/** Time, injected so tests can move it (invite expiry, rate-limit windows). */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
