import { afterEach, describe, expect, it, vi } from 'vitest';
import { IceRecovery } from './iceRecovery';

function connection() {
  const pc = { connectionState: 'new' as RTCPeerConnectionState };
  let restarts = 0;
  const recovery = new IceRecovery(pc as RTCPeerConnection, () => restarts++);
  const become = (state: RTCPeerConnectionState) => {
    pc.connectionState = state;
    recovery.changed();
  };
  return { recovery, become, restarts: () => restarts };
}

afterEach(() => vi.useRealTimers());

describe('IceRecovery', () => {
  it('restarts a failed connection at once, a disconnected one only if it does not recover within the grace period', () => {
    vi.useFakeTimers();
    const c = connection();
    c.become('failed');
    expect(c.restarts()).toBe(1);
    c.become('disconnected');
    vi.advanceTimersByTime(2_000);
    c.become('connected');
    vi.advanceTimersByTime(5_000);
    expect(c.restarts()).toBe(1);
    c.become('disconnected');
    vi.advanceTimersByTime(2_500);
    expect(c.restarts()).toBe(2);
  });

  it('restarts a connection stuck connecting, again while it stays so, and not one that got through', () => {
    vi.useFakeTimers();
    const c = connection();
    c.become('connecting');
    vi.advanceTimersByTime(19_000);
    expect(c.restarts()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(c.restarts()).toBe(1);
    vi.advanceTimersByTime(20_000);
    expect(c.restarts()).toBe(2);
    c.become('connected');
    vi.advanceTimersByTime(60_000);
    expect(c.restarts()).toBe(2);
    c.become('connecting');
    vi.advanceTimersByTime(10_000);
    c.become('connected');
    vi.advanceTimersByTime(60_000);
    expect(c.restarts()).toBe(2);
  });

  it('gives up after five restarts in a row until it connects or the network changes', () => {
    const c = connection();
    for (let i = 0; i < 8; i++) c.become('failed');
    expect(c.restarts()).toBe(5);
    c.recovery.attempt(true);
    expect(c.restarts()).toBe(6);
    c.become('connected');
    c.become('failed');
    expect(c.restarts()).toBe(7);
  });
});
