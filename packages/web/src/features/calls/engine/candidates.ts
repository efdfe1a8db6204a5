import type { IceCandidate } from '@parley/protocol';

/** Most candidates one op-40 frame may carry (the protocol's limit). */
const MAX_CANDIDATES_PER_FRAME = 20;

/** How long candidates gather before they go out together: ICE finds most of them within a few ms of each other. */
const CANDIDATE_TICK_MS = 40;

/** Schedules a function once after a delay; tests pass a manual clock. */
export type Schedule = (run: () => void, delayMs: number) => { cancel(): void };

const scheduleWithTimeout: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  return { cancel: () => clearTimeout(timer) };
};

/**
 * Trickle ICE without flooding the gateway: local candidates are collected for one short tick
 * and sent as one signal frame (split into frames of at most 20), because the gateway counts
 * signal frames against a per-minute budget and a mesh join can produce dozens of candidates.
 */
export class CandidateBatcher {
  private pending: IceCandidate[] = [];
  private timer: { cancel(): void } | null = null;

  constructor(
    private readonly send: (candidates: IceCandidate[]) => void,
    private readonly schedule: Schedule = scheduleWithTimeout,
    private readonly tickMs = CANDIDATE_TICK_MS,
  ) {}

  /** A local candidate (null from the browser means gathering ended: sent as an empty candidate). */
  add(candidate: RTCIceCandidateInit | null): void {
    this.pending.push(candidate ? toWire(candidate) : { candidate: '' });
    this.timer ??= this.schedule(() => this.flush(), this.tickMs);
  }

  /** Sends what is waiting now (before a description goes out, candidates of the last round must not trail it). */
  flush(): void {
    this.timer?.cancel();
    this.timer = null;
    for (let start = 0; start < this.pending.length; start += MAX_CANDIDATES_PER_FRAME) {
      this.send(this.pending.slice(start, start + MAX_CANDIDATES_PER_FRAME));
    }
    this.pending = [];
  }

  /** Drops what is waiting (the link closed). */
  clear(): void {
    this.timer?.cancel();
    this.timer = null;
    this.pending = [];
  }
}

/** A browser candidate in the protocol's shape (only the fields it defines, nulls kept out of the way). */
function toWire(candidate: RTCIceCandidateInit): IceCandidate {
  return {
    candidate: candidate.candidate ?? '',
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
    ...(candidate.usernameFragment && { usernameFragment: candidate.usernameFragment }),
  };
}
