import { fold } from '@parley/sdk';

/**
 * Fuzzy matching for the quick switcher: every character of the query must appear in order
 * ("gnrl" finds "general"). Matches at the start of the name or of a word, and runs of
 * consecutive characters, score higher; null means no match.
 */
export function fuzzyScore(query: string, target: string): number | null {
  const q = fold(query).replace(/\s+/g, '');
  const t = fold(target);
  if (!q) return 0;
  let score = 0;
  let from = 0;
  let previous = -2;
  for (const char of q) {
    const index = t.indexOf(char, from);
    if (index < 0) return null;
    if (index === 0) score += 8;
    else if (/[\s_\-./#@]/.test(t[index - 1]!)) score += 5;
    if (index === previous + 1) score += 4;
    // Characters skipped cost a little, so tighter matches win.
    score -= Math.min(index - from, 3);
    previous = index;
    from = index + 1;
  }
  // Among equals, shorter names (closer to what was typed) first.
  return score - t.length / 100;
}
