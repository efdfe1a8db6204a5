import { expect, test } from './fixtures';
import { signUpViaUi } from './helpers';

/**
 * Saves the main screens in both themes under .test-output/screenshots (kept as CI artifacts;
 * the README shows two of them). Also checks each screen renders in each theme.
 */
for (const theme of ['light', 'dark'] as const) {
  test(`main screens in the ${theme} theme`, async ({ page }) => {
    await page.addInitScript((t) => localStorage.setItem('parley.theme', t), theme);
    const shot = async (name: string) => {
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.screenshot({ path: `.test-output/screenshots/${name}-${theme}.png` });
    };
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/login');
    await expect(page.getByRole('heading', { name: 'Welcome back!' })).toBeVisible();
    await shot('login');
    await signUpViaUi(page, { displayName: 'Screenshot Sam' });
    await shot('home');
    await page.goto('/settings/profile');
    await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
    await shot('settings-profile');
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto('/app');
    await expect(page.getByTestId('welcome-name')).toBeVisible();
    await shot('home-phone');
  });
}
