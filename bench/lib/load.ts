import { Samples } from './stats';
import { delay } from './system';

export interface PacedResult {
  /** Sends the schedule called for. */
  scheduled: number;
  ok: number;
  failed: number;
  /** Sends skipped because `maxInflight` were already waiting (the target could not keep up). */
  skipped: number;
  /** Call → response, milliseconds, successful sends only. */
  sendLatency: Samples;
  seconds: number;
  /** First few failure messages. */
  errors: string[];
}

export interface PacedOptions {
  /** Sends per second. */
  rate: number;
  seconds: number;
  /** Open-loop pacing, but never more than this many unanswered sends. */
  maxInflight: number;
  /** Performs send number `index` (0-based, counted across the whole run by the caller). */
  send: (index: number) => Promise<void>;
  /** Index of the first send (so markers stay unique across several paced phases). */
  firstIndex: number;
}

/**
 * Sends at a fixed rate for a fixed time, open loop (a slow answer does not delay the next
 * send) up to `maxInflight` unanswered sends; past that, sends are skipped and counted, which
 * bounds memory and shows that the target is saturated. Waits (bounded) for the stragglers.
 */
export async function paced(options: PacedOptions): Promise<PacedResult> {
  const { rate, seconds, maxInflight, send, firstIndex } = options;
  const result: PacedResult = { scheduled: 0, ok: 0, failed: 0, skipped: 0, sendLatency: new Samples(), seconds, errors: [] };
  const total = Math.floor(rate * seconds);
  let inflight = 0;
  const started = performance.now();
  const fire = (index: number) => {
    inflight++;
    const t0 = performance.now();
    send(index).then(
      () => {
        inflight--;
        result.ok++;
        result.sendLatency.add(performance.now() - t0);
      },
      (error: unknown) => {
        inflight--;
        result.failed++;
        if (result.errors.length < 5) result.errors.push(error instanceof Error ? error.message : String(error));
      },
    );
  };
  while (result.scheduled < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (result.scheduled < due) {
      const index = firstIndex + result.scheduled++;
      if (inflight >= maxInflight) result.skipped++;
      else fire(index);
    }
    // Sleep until the next send is due (timers are ~1 ms granular; bursts catch up).
    const nextAt = started + (result.scheduled / rate) * 1000;
    await delay(Math.max(0, nextAt - performance.now()));
  }
  const deadline = performance.now() + 30_000;
  while (inflight > 0 && performance.now() < deadline) await delay(10);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
