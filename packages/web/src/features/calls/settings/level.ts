import { rms } from '../engine/speaking';

/** The quietest level the meter shows above zero (dBFS): quieter is room noise. */
const METER_FLOOR_DB = -60;

/**
 * A microphone level meter's reading, 0–1, from one window of samples (-1…1, as
 * AnalyserNode.getFloatTimeDomainData gives): the window's RMS in decibels, mapped linearly from
 * METER_FLOOR_DB (0) to full scale (1), which is how loudness is heard rather than how
 * amplitude is measured.
 */
export function meterLevel(samples: Float32Array): number {
  const level = rms(samples);
  if (level === 0) return 0;
  const db = 20 * Math.log10(level);
  return Math.min(1, Math.max(0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}
