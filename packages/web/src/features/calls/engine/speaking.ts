/**
 * Voice activity for the speaking ring: a level above the threshold means speaking, and the
 * ring stays on for a moment after, so it does not flicker between syllables.
 */
const SPEAKING_THRESHOLD = 0.015;
const SPEAKING_HOLD_MS = 400;

export class SpeakingDetector {
  private lastLoudAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly threshold = SPEAKING_THRESHOLD,
    private readonly holdMs = SPEAKING_HOLD_MS,
  ) {}

  /** Feeds one level (RMS, 0–1) measured at `now` (ms); answers whether the person is speaking. */
  update(level: number, now: number): boolean {
    if (level >= this.threshold) this.lastLoudAt = now;
    return now - this.lastLoudAt < this.holdMs;
  }
}

/** The RMS level of one block of samples (-1..1), what an AnalyserNode's time-domain data holds. */
export function rms(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return samples.length ? Math.sqrt(sum / samples.length) : 0;
}

/**
 * The loudest `blockSize`-sample stretch of a longer window. Levels are polled every 100 ms,
 * so the window covers the whole gap between polls (a short word or a beep falls in it), and
 * the loudest block keeps a short sound from being averaged away by the silence around it.
 */
export function peakRms(samples: Float32Array, blockSize: number): number {
  let peak = 0;
  for (let start = 0; start < samples.length; start += blockSize) peak = Math.max(peak, rms(samples.subarray(start, start + blockSize)));
  return peak;
}
