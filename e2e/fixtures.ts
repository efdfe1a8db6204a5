import { type Page, test as base, expect } from '@playwright/test';

/**
 * Every page in every spec fails its test on an uncaught script error or a Content-Security-
 * Policy violation: both mean something users would hit is broken even if the spec's own
 * assertions pass.
 */
export const test = base.extend<{ page: Page; closeContextsLeftOpen: void }>({
  page: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    await use(page);
    expect(problems, 'script errors or CSP violations on the page').toEqual([]);
  },
  /**
   * Contexts a test opened on the shared browser (people in their own browsers) are closed when
   * it ends: left open, their pages stay signed in and connected for the rest of the worker's
   * run, and every later test pays for them.
   */
  closeContextsLeftOpen: [
    async ({ browser }, use) => {
      const before = new Set(browser.contexts());
      await use();
      await Promise.all(
        browser
          .contexts()
          .filter((context) => !before.has(context))
          .map((context) => context.close()),
      );
    },
    { auto: true },
  ],
});

export { expect };
