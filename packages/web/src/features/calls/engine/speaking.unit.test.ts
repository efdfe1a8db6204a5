import { describe, expect, it } from 'vitest';
import { SpeakingDetector, peakRms, rms } from './speaking';

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

  it('finds a short loud stretch in a long quiet window', () => {
    const window = new Float32Array(8192);
    window.fill(0.5, 4096, 4096 + 512);
    expect(rms(window)).toBeLessThan(0.13);
    expect(peakRms(window, 512)).toBeCloseTo(0.5);
    expect(peakRms(new Float32Array(1000), 512)).toBe(0);
  });
});
