import { expect, test } from './fixtures';
import { signUpViaUi } from './helpers';

// The other journeys block service workers (playwright.config.ts): here the worker is what is tested.
test.use({ serviceWorkers: 'allow' });

test('installable: a manifest with icons, and a service worker that keeps the app shell for offline starts', async ({ page, context }) => {
  await page.goto('/login');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBe('/manifest.webmanifest');
  const response = await page.request.get(href!);
  expect(response.ok()).toBe(true);
  const manifest = (await response.json()) as {
    name: string;
    start_url: string;
    display: string;
    theme_color: string;
    background_color: string;
    icons: { src: string; sizes: string; purpose: string }[];
  };
  expect(manifest).toMatchObject({ name: 'Parley', start_url: '/channels/@me', display: 'standalone', theme_color: expect.stringMatching(/^#/), background_color: expect.stringMatching(/^#/) });
  for (const [size, purpose] of [
    ['192x192', 'any'],
    ['512x512', 'any'],
    ['192x192', 'maskable'],
    ['512x512', 'maskable'],
  ]) {
    const icon = manifest.icons.find((i) => i.sizes === size && i.purpose === purpose);
    expect(icon, `${purpose} icon ${size}`).toBeDefined();
    const image = await page.request.get(icon!.src);
    expect(image.headers()['content-type']).toBe('image/png');
  }

  // The worker installs, and controls the page from the next load on.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload();
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);
  await signUpViaUi(page);

  // Offline, the app still starts (from the kept shell) and says what is wrong instead of the browser's error page.
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Reload' })).toBeVisible();
  await context.setOffline(false);
  await page.getByRole('link', { name: 'Reload' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByTestId('welcome-name')).toBeVisible();
});

test('the service worker answers for app pages, never for the API or files', async ({ page }) => {
  await page.goto('/login');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  expect((await page.reload())?.fromServiceWorker()).toBe(true);
  for (const path of ['/api/v10/gateway', '/cdn/avatars/1/0.webp', '/healthz']) {
    const response = await page.goto(path);
    expect(response?.fromServiceWorker(), path).toBe(false);
    expect(response?.headers()['content-type'], path).not.toContain('text/html');
  }
});
