import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, call, expectApiError, jsonInit, uniqueUsername } from './client';
import { type RunningParley, startParley } from './npm-start';

/**
 * The sign-in limiter of the shipped process, at its default (AUTH_RATE_LIMIT_IP=30/60: 30
 * sign-in attempts per IP per minute, login and register counted together). This file has its
 * own `npm start`, because spending the limit refuses every sign-in from 127.0.0.1 for a minute.
 */
let parley: RunningParley;

beforeAll(async () => {
  parley = await startParley();
});
afterAll(() => parley?.stop());

const DEFAULT_ATTEMPTS_PER_IP = 30;

describe('sign-in rate limit', () => {
  it('answers 429 with a Retry-After header and retry_after in the body once the per-IP limit is spent', async () => {
    // Wrong passwords for logins that don't exist, each a different one, so only the per-IP
    // counter fills up (the per-account counters get one failure each).
    const statuses: number[] = [];
    let limited: Answer | null = null;
    // Bounded: the limit must bite by attempt 31, or by 61 should a very slow run straddle
    // the 60-second window (its counter then starts afresh once).
    for (let attempt = 1; attempt <= 2 * DEFAULT_ATTEMPTS_PER_IP + 1 && !limited; attempt++) {
      const answer = await call(parley.baseUrl, '/api/v10/auth/login', jsonInit('POST', { login: uniqueUsername('nobody'), password: 'not the password' }));
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
      else expectApiError(answer, 400, 50035, ['login']);
    }
    expect(limited, `no 429 in ${statuses.length} attempts`).not.toBeNull();
    // Never before the default 30 attempts were spent.
    expect(statuses.length, `statuses: ${statuses.join(',')}`).toBeGreaterThanOrEqual(DEFAULT_ATTEMPTS_PER_IP + 1);

    const body = expectApiError(limited!, 429, 90001);
    const header = limited!.headers.get('retry-after');
    expect(header).toMatch(/^\d+$/);
    const seconds = Number(header);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(body.retry_after).toBeTypeOf('number');
    expect(body.retry_after!).toBeGreaterThan(0);
    expect(body.retry_after!).toBeLessThanOrEqual(60);
    expect(seconds).toBe(Math.ceil(body.retry_after!));
    expect(body.global).toBe(false);
  });

  it('registration is held back by the same limit, with the same answer', async () => {
    const answer = await call(parley.baseUrl, '/api/v10/auth/register', jsonInit('POST', { username: uniqueUsername('late'), password: 'long enough password' }));
    const body = expectApiError(answer, 429, 90001);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(body.retry_after!).toBeGreaterThan(0);
  });

  it('a request that fails validation is answered as such, not counted or limited', async () => {
    expectApiError(await call(parley.baseUrl, '/api/v10/auth/register', jsonInit('POST', { username: 'a' })), 400, 50035, ['username']);
  });

  it('only sign-in is limited: the rest of the API still answers', async () => {
    const answer = await call(parley.baseUrl, '/api/v10/gateway');
    expect(answer.status).toBe(200);
  });
});
