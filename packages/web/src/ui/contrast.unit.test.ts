import { describe, expect, it } from 'vitest';
import { THEME_COLORS, contrastRatio, readableColor } from './contrast';

describe('readable role colors', () => {
  it('measures contrast as WCAG does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#777777')).toBeCloseTo(1, 5);
  });

  it('keeps a color that reads well and adjusts one that does not, in either theme', () => {
    expect(readableColor('#b91c1c', 'light')).toBe('#b91c1c');
    expect(readableColor('#f1c40f', 'dark')).toBe('#f1c40f');
    for (const theme of ['light', 'dark'] as const) {
      for (const color of ['#f1c40f', '#1f1f8f', '#ffffff', '#000000', '#3498db']) {
        expect(contrastRatio(readableColor(color, theme), THEME_COLORS[theme].background)).toBeGreaterThanOrEqual(4.5);
      }
    }
    // A light yellow on white becomes a darker yellow, not the text color outright.
    expect(readableColor('#f1c40f', 'light')).not.toBe(THEME_COLORS.light.text);
  });
});
