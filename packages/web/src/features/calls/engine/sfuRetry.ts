import type { SfuSignalSend } from '@parley/protocol';

export type SfuRequest = SfuSignalSend['type'];

/** Failures of one kind of request in a row before the person is told instead. */
const MAX_RETRIES = 5;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

/**
 * When to ask the SFU again for a request it refused or failed at (a busy Janus, a publisher
 * that left meanwhile): after 0.5 s, then twice as long each time up to 8 s, at most five times
 * in a row per kind of request; a success of that kind starts counting afresh. Without this a
 * refused publish or subscribe left someone unheard, or hearing nobody, for the rest of the call.
 */
export class SfuRetry {
  private readonly failures = new Map<SfuRequest, number>();
  private readonly timers = new Map<SfuRequest, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly retry: (request: SfuRequest) => void,
    private readonly gaveUp: (request: SfuRequest) => void,
  ) {}

  failed(request: SfuRequest): void {
    // One retry waiting per kind: it sends the latest state, whatever failed before it.
    if (this.timers.has(request)) return;
    const failures = (this.failures.get(request) ?? 0) + 1;
    this.failures.set(request, failures);
    if (failures > MAX_RETRIES) {
      this.failures.delete(request);
      this.gaveUp(request);
      return;
    }
    const delay = Math.min(FIRST_DELAY_MS * 2 ** (failures - 1), MAX_DELAY_MS);
    this.timers.set(
      request,
      setTimeout(() => {
        this.timers.delete(request);
        this.retry(request);
      }, delay),
    );
  }

  succeeded(request: SfuRequest): void {
    this.failures.delete(request);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
