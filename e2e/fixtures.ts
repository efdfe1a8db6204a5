import { type Page, test as base, expect } from '@playwright/test';

/**
 * Encrypted messages a page's client could not open (its decryption-failure counter, which a
 * message sent before the device joined does not raise): every journey ends with none.
 */
export async function decryptionFailures(page: Page): Promise<number> {
  const read = () => page.evaluate(() => document.documentElement.dataset.e2eeFailures ?? '0');
  if (page.isClosed()) return 0;
  // A page caught navigating is read again once the new document has loaded (it counts from zero).
  return Number(await read().catch(async () => (await page.waitForLoadState(), read())));
}

/**
 * Every page in every spec fails its test on an uncaught script error, a Content-Security-
 * Policy violation or an encrypted message it could not open: each means something users would
 * hit is broken even if the spec's own assertions pass.
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
    expect(await decryptionFailures(page), 'encrypted messages the page could not open').toBe(0);
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
      const opened = browser.contexts().filter((context) => !before.has(context));
      for (const page of opened.flatMap((context) => context.pages())) {
        expect(await decryptionFailures(page), `encrypted messages ${page.url()} could not open`).toBe(0);
      }
      await Promise.all(opened.map((context) => context.close()));
    },
    { auto: true },
  ],
});

export { expect };
