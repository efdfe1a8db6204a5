import type { IceCandidate } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { CandidateBatcher, type Schedule } from './candidates';

/** A clock the test advances by hand. */
function manualClock() {
  const timers: { run: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (run) => {
    const timer = { run, cancelled: false };
    timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  };
  const tick = () => {
    for (const timer of timers.splice(0)) if (!timer.cancelled) timer.run();
  };
  return { schedule, tick, scheduled: () => timers.filter((t) => !t.cancelled).length };
}

const candidate = (n: number): RTCIceCandidateInit => ({ candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

describe('CandidateBatcher', () => {
  it('sends the candidates of one tick as one frame', () => {
    const clock = manualClock();
    const frames: IceCandidate[][] = [];
    const batcher = new CandidateBatcher((c) => frames.push(c), clock.schedule);
    batcher.add(candidate(1));
    batcher.add(candidate(2));
    batcher.add(candidate(3));
    expect(frames).toEqual([]);
    expect(clock.scheduled()).toBe(1);
    clock.tick();
    expect(frames).toHaveLength(1);
    expect(frames[0]!.map((c) => c.candidate)).toEqual([candidate(1).candidate, candidate(2).candidate, candidate(3).candidate]);
  });

  it('splits a large tick into frames of at most 20', () => {
    const clock = manualClock();
    const frames: IceCandidate[][] = [];
    const batcher = new CandidateBatcher((c) => frames.push(c), clock.schedule);
    for (let n = 0; n < 45; n++) batcher.add(candidate(n));
    clock.tick();
    expect(frames.map((f) => f.length)).toEqual([20, 20, 5]);
  });

  it('marks the end of gathering with an empty candidate', () => {
    const clock = manualClock();
    const frames: IceCandidate[][] = [];
    const batcher = new CandidateBatcher((c) => frames.push(c), clock.schedule);
    batcher.add(null);
    clock.tick();
    expect(frames).toEqual([[{ candidate: '' }]]);
  });

  it('flushes at once when asked, and a cleared batcher sends nothing', () => {
    const clock = manualClock();
    const frames: IceCandidate[][] = [];
    const batcher = new CandidateBatcher((c) => frames.push(c), clock.schedule);
    batcher.add(candidate(1));
    batcher.flush();
    expect(frames).toHaveLength(1);
    batcher.add(candidate(2));
    batcher.clear();
    clock.tick();
    expect(frames).toHaveLength(1);
  });
});
