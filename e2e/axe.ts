import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/** Runs axe (WCAG 2.1 A and AA, colour contrast included) and fails on serious or critical problems. */
export async function expectAccessible(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const blocking = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => `${n.html} — ${n.failureSummary?.replace(/\n/g, ' ')}`).join('\n  ')}`);
  expect(blocking, `accessibility problems on ${screen}`).toEqual([]);
}
