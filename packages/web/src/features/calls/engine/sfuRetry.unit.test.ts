import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SfuRequest, SfuRetry } from './sfuRetry';

function retrying() {
  const retried: SfuRequest[] = [];
  const gaveUp: SfuRequest[] = [];
  const retry = new SfuRetry(
    (request) => retried.push(request),
    (request) => gaveUp.push(request),
  );
  return { retry, retried, gaveUp };
}

afterEach(() => vi.useRealTimers());

describe('SfuRetry', () => {
  it('asks again after 0.5 s, then twice as long each time, one retry waiting per kind of request', () => {
    vi.useFakeTimers();
    const r = retrying();
    r.retry.failed('subscribe');
    r.retry.failed('subscribe');
    r.retry.failed('publish');
    vi.advanceTimersByTime(499);
    expect(r.retried).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(r.retried).toEqual(['subscribe', 'publish']);
    r.retry.failed('subscribe');
    vi.advanceTimersByTime(999);
    expect(r.retried).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(r.retried).toEqual(['subscribe', 'publish', 'subscribe']);
  });

  it('gives up after five failures in a row, counts afresh after a success, and asks nothing once closed', () => {
    vi.useFakeTimers();
    const r = retrying();
    for (let i = 0; i < 5; i++) {
      r.retry.failed('publish');
      vi.runOnlyPendingTimers();
    }
    expect(r.retried).toHaveLength(5);
    r.retry.failed('publish');
    expect(r.gaveUp).toEqual(['publish']);
    expect(vi.getTimerCount()).toBe(0);

    r.retry.failed('subscribe');
    vi.runOnlyPendingTimers();
    r.retry.succeeded('subscribe');
    r.retry.failed('subscribe');
    vi.advanceTimersByTime(500);
    expect(r.retried.filter((x) => x === 'subscribe')).toHaveLength(2);

    r.retry.failed('layers');
    r.retry.close();
    vi.runAllTimers();
    expect(r.retried).not.toContain('layers');
  });
});
