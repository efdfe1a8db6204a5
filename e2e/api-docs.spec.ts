import { expect, test } from './fixtures';

test('the API documentation is browsable and generated from the schemas', async ({ page }) => {
  await page.goto('/api/docs/');
  await expect(page.getByRole('heading', { name: /Parley API/ })).toBeVisible();
  await page.getByText('/api/v10/auth/register', { exact: true }).click();
  await expect(page.getByText('Create an account and sign in').first()).toBeVisible();
  await expect(page.getByText('username').first()).toBeVisible();
});
