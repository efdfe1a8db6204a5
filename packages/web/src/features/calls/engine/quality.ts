/**
 * Connection quality per participant, from getStats: round-trip time, packet loss and jitter
 * mapped to three levels people understand (the bars next to a name).
 */
export type Quality = 'good' | 'ok' | 'poor' | 'unknown';

export interface LinkSample {
  /** Round-trip time of the selected candidate pair, in seconds (as getStats reports it). */
  rttSeconds: number | null;
  /** Inbound RTP totals over all streams from this peer. */
  packetsReceived: number;
  packetsLost: number;
  /** The worst inbound jitter, in seconds. */
  jitterSeconds: number | null;
}

/** Thresholds (roughly the ITU-T G.114 and common VoIP guidance): beyond "ok" conversation suffers. */
const LIMITS = {
  ok: { rttMs: 200, loss: 0.02, jitterMs: 30 },
  poor: { rttMs: 400, loss: 0.08, jitterMs: 60 },
};

/** The quality between two samples of the same link (loss over that interval, not since the start). */
export function qualityBetween(previous: LinkSample | null, current: LinkSample): Quality {
  if (current.rttSeconds === null && current.jitterSeconds === null) return 'unknown';
  const received = current.packetsReceived - (previous?.packetsReceived ?? 0);
  const lost = Math.max(0, current.packetsLost - (previous?.packetsLost ?? 0));
  const loss = received + lost > 0 ? lost / (received + lost) : 0;
  const rttMs = (current.rttSeconds ?? 0) * 1000;
  const jitterMs = (current.jitterSeconds ?? 0) * 1000;
  const beyond = (limit: { rttMs: number; loss: number; jitterMs: number }) => rttMs > limit.rttMs || loss > limit.loss || jitterMs > limit.jitterMs;
  if (beyond(LIMITS.poor)) return 'poor';
  if (beyond(LIMITS.ok)) return 'ok';
  return 'good';
}

/** Reads one sample from a peer connection's stats report. */
export function sampleOf(report: RTCStatsReport): LinkSample {
  let rttSeconds: number | null = null;
  let jitterSeconds: number | null = null;
  let packetsReceived = 0;
  let packetsLost = 0;
  report.forEach((stat: Record<string, unknown>) => {
    if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded' && typeof stat.currentRoundTripTime === 'number') {
      rttSeconds = stat.currentRoundTripTime;
    }
    if (stat.type === 'inbound-rtp') {
      packetsReceived += Number(stat.packetsReceived ?? 0);
      packetsLost += Number(stat.packetsLost ?? 0);
      if (typeof stat.jitter === 'number') jitterSeconds = Math.max(jitterSeconds ?? 0, stat.jitter);
    }
  });
  return { rttSeconds, jitterSeconds, packetsReceived, packetsLost };
}
