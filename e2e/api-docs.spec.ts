import { expect, test } from './fixtures';

test('the API documentation is browsable and generated from the schemas', async ({ page }) => {
  await page.goto('/api/docs/');
  // Swagger UI parses and lays out the whole document (~380 KB, every route) before its first
  // heading: 1-3 s here, several times that while the suite's other browsers load the machine.
  await expect(page.getByRole('heading', { name: /Parley API/ })).toBeVisible({ timeout: 30_000 });
  await page.getByText('/api/v10/auth/register', { exact: true }).click();
  await expect(page.getByText('Create an account and sign in').first()).toBeVisible();
  await expect(page.getByText('username').first()).toBeVisible();
});
