import { ParleyApiError } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { formatWait, useRetryCountdown } from './retryCountdown';

const rateLimited = (retryAfter: number) => new ParleyApiError(429, { code: 90001, message: 'You are being rate limited.', retry_after: retryAfter, global: false } as never);

describe('formatWait', () => {
  it('rounds up to the unit a person thinks in', () => {
    expect(formatWait(240_000)).toBe('4 minutes');
    expect(formatWait(200_500)).toBe('4 minutes');
    expect(formatWait(60_000)).toBe('1 minute');
    expect(formatWait(59_001)).toBe('1 minute');
    expect(formatWait(59_000)).toBe('59 seconds');
    expect(formatWait(1_000)).toBe('1 second');
    expect(formatWait(0)).toBe('1 second');
    expect(formatWait(900_000)).toBe('15 minutes');
    expect(formatWait(3_600_000)).toBe('1 hour');
    expect(formatWait(5_400_000)).toBe('2 hours');
  });
});

describe('useRetryCountdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('turns a 429 into a sentence that counts down and then goes away', () => {
    const scope = effectScope();
    const countdown = scope.run(() => useRetryCountdown())!;
    expect(() => countdown.handle(rateLimited(240))).not.toThrow();
    expect(countdown.message.value).toBe('Too many attempts. Try again in 4 minutes.');
    vi.advanceTimersByTime(61_000);
    expect(countdown.message.value).toBe('Too many attempts. Try again in 3 minutes.');
    vi.advanceTimersByTime(150_000);
    expect(countdown.message.value).toBe('Too many attempts. Try again in 29 seconds.');
    vi.advanceTimersByTime(29_000);
    expect(countdown.message.value).toBeNull();
    scope.stop();
  });

  it('passes every other error on to the form', () => {
    const scope = effectScope();
    const countdown = scope.run(() => useRetryCountdown())!;
    const invalid = new ParleyApiError(400, { code: 50035, message: 'Invalid Form Body' } as never);
    expect(() => countdown.handle(invalid)).toThrow(invalid);
    expect(() => countdown.handle(new Error('offline'))).toThrow('offline');
    expect(countdown.message.value).toBeNull();
    scope.stop();
  });
});
