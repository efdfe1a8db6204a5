import { expect, test } from './fixtures';

/**
 * The journeys' Chromium opens nothing but the pages under test. Its address bar's suggestion
 * popups (WebUI pages loaded into every window, one window per browser context) cost a third of
 * a journey's CPU; playwright.config.ts switches them off, and a Chromium that renames the
 * features must not bring them back unnoticed.
 */
test('each browser context holds the page under test and no browser UI pages', async ({ browser, page }) => {
  await page.goto('/login');
  await expect(page.getByLabel('Password')).toBeVisible();
  const session = await browser.newBrowserCDPSession();
  const { targetInfos } = await session.send('Target.getTargets');
  await session.detach();
  expect(targetInfos.filter((target) => target.type === 'browser_ui').map((target) => target.url)).toEqual([]);
  expect(targetInfos.filter((target) => target.type === 'page').map((target) => target.url)).toContain(page.url());
});
