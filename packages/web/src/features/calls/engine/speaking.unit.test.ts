import { describe, expect, it } from 'vitest';
import { SpeakingDetector, rms } from './speaking';

describe('voice activity', () => {
  it('turns on with a loud level and holds briefly after it fades', () => {
    const detector = new SpeakingDetector(0.02, 300);
    expect(detector.update(0.001, 0)).toBe(false);
    expect(detector.update(0.1, 100)).toBe(true);
    expect(detector.update(0.001, 300)).toBe(true);
    expect(detector.update(0.001, 401)).toBe(false);
  });

  it('measures the RMS of a block of samples', () => {
    expect(rms(new Float32Array([0.5, -0.5, 0.5, -0.5]))).toBeCloseTo(0.5);
    expect(rms(new Float32Array(0))).toBe(0);
  });
});
