/**
 * Latency samples with exact percentiles up to a fixed capacity; past it, reservoir sampling
 * (Algorithm R) keeps memory bounded while every sample still has the same chance to count.
 */
export class Samples {
  private values: Float64Array;
  private stored = 0;
  /** Every sample offered, kept or not. */
  count = 0;
  max = 0;
  private sum = 0;

  constructor(private readonly capacity = 2_000_000) {
    this.values = new Float64Array(Math.min(capacity, 4096));
  }

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (this.stored < this.capacity) {
      if (this.stored === this.values.length) {
        const grown = new Float64Array(Math.min(this.capacity, this.values.length * 2));
        grown.set(this.values);
        this.values = grown;
      }
      this.values[this.stored++] = value;
      return;
    }
    const slot = Math.floor(Math.random() * this.count);
    if (slot < this.capacity) this.values[slot] = value;
  }

  /** What another process needs to merge these samples into its own (see `merge`). */
  export(): SamplesExport {
    return { values: this.values.slice(0, this.stored), count: this.count, max: this.max, sum: this.sum };
  }

  /** Adds samples exported elsewhere (another receiver process). */
  merge(other: SamplesExport): void {
    for (const value of other.values) this.add(value);
    // The stored values were counted above; the ones the other side dropped count too.
    const dropped = other.count - other.values.length;
    this.count += dropped;
    this.sum += other.sum - other.values.reduce((a, b) => a + b, 0);
    if (other.max > this.max) this.max = other.max;
  }

  /** p in [0, 100]; nearest-rank on the stored samples. NaN when empty. */
  percentile(p: number): number {
    return percentileOf(this.sorted(), p);
  }

  summary(): LatencySummary {
    const sorted = this.sorted();
    return {
      count: this.count,
      p50: round(percentileOf(sorted, 50)),
      p90: round(percentileOf(sorted, 90)),
      p99: round(percentileOf(sorted, 99)),
      max: round(this.count ? this.max : Number.NaN),
      mean: round(this.count ? this.sum / this.count : Number.NaN),
    };
  }

  private sorted(): Float64Array {
    return this.values.slice(0, this.stored).sort();
  }
}

export interface SamplesExport {
  values: Float64Array;
  count: number;
  max: number;
  sum: number;
}

/** Milliseconds, rounded to microseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function percentileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Monotonic time in microseconds (CLOCK_MONOTONIC through process.hrtime): the same clock in
 * every process on the machine, so a sender and a receiver in different processes compare.
 */
export function monoMicros(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e6 + Math.floor(nanos / 1000);
}
