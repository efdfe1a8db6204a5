import { randomBytes } from 'node:crypto';
import { type Page, expect } from '@playwright/test';

export const PASSWORD = 'correct horse battery';

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Signs up through the register form and waits for the home screen. */
export async function signUpViaUi(page: Page, options: { username?: string; displayName?: string } = {}): Promise<string> {
  const username = options.username ?? uniqueName();
  await page.goto('/register');
  if (options.displayName) await page.getByLabel('Display name').fill(options.displayName);
  await page.getByLabel('Username', { exact: false }).first().fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await waitUntilLive(page);
  return username;
}

/** Waits until the page's client is connected to the gateway (READY), so live events reach it. */
export async function waitUntilLive(page: Page): Promise<void> {
  await expect(page.locator('[data-gateway="ready"]')).toBeVisible();
}

export async function logInViaUi(page: Page, login: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username or e-mail').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
