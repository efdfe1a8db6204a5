import { describe, expect, it } from 'vitest';
import { type LinkSample, qualityBetween, sampleOf } from './quality';

const sample = (overrides: Partial<LinkSample> = {}): LinkSample => ({ rttSeconds: 0.02, jitterSeconds: 0.005, packetsReceived: 1000, packetsLost: 0, ...overrides });

describe('connection quality', () => {
  it('is good on a fast, clean link', () => {
    expect(qualityBetween(null, sample())).toBe('good');
  });

  it('is ok, then poor, as round trips grow', () => {
    expect(qualityBetween(null, sample({ rttSeconds: 0.25 }))).toBe('ok');
    expect(qualityBetween(null, sample({ rttSeconds: 0.5 }))).toBe('poor');
  });

  it('judges loss over the last interval, not since the call started', () => {
    const before = sample({ packetsReceived: 1000, packetsLost: 200 });
    // 100 received and none lost since: a link that recovered is good again.
    expect(qualityBetween(before, sample({ packetsReceived: 1100, packetsLost: 200 }))).toBe('good');
    // 90 received and 10 lost since: 10 % loss.
    expect(qualityBetween(before, sample({ packetsReceived: 1090, packetsLost: 210 }))).toBe('poor');
    expect(qualityBetween(before, sample({ packetsReceived: 1097, packetsLost: 203 }))).toBe('ok');
  });

  it('counts high jitter', () => {
    expect(qualityBetween(null, sample({ jitterSeconds: 0.04 }))).toBe('ok');
    expect(qualityBetween(null, sample({ jitterSeconds: 0.08 }))).toBe('poor');
  });

  it('is unknown before there is anything to measure', () => {
    expect(qualityBetween(null, sample({ rttSeconds: null, jitterSeconds: null }))).toBe('unknown');
  });

  it('reads the nominated pair and sums inbound streams from a stats report', () => {
    const stats = [
      { type: 'candidate-pair', nominated: false, state: 'failed', currentRoundTripTime: 9 },
      { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.03 },
      { type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: 2, jitter: 0.004 },
      { type: 'inbound-rtp', kind: 'video', packetsReceived: 300, packetsLost: 1, jitter: 0.01 },
      { type: 'outbound-rtp', kind: 'audio', packetsSent: 500 },
    ];
    const report = new Map(stats.map((s, i) => [String(i), s])) as unknown as RTCStatsReport;
    expect(sampleOf(report)).toEqual({ rttSeconds: 0.03, jitterSeconds: 0.01, packetsReceived: 400, packetsLost: 3 });
  });
});
