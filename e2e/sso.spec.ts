import type { Page } from '@playwright/test';
import { expectAccessible } from './axe';
import { expect, test } from './fixtures';
import { PASSWORD, uniqueName } from './helpers';

/**
 * Single sign-on through the whole browser redirect flow, at the real OpenID provider that
 * playwright.config.ts starts beside Parley (e2e/oidc-provider.ts: "Test ID"). Each journey
 * signs in there as its own account.
 */

/** The provider's own sign-in page (another origin): its form, then back to Parley. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Test ID' })).toBeVisible();
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(`${login} at the provider`);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'User settings' }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test('a new account through the provider, then signing in again lands in the same account', async ({ page }) => {
  await page.goto('/login');
  await expectAccessible(page, 'Login with single sign-on');
  await page.getByRole('link', { name: 'Continue with Test ID' }).click();
  await signInAtProvider(page, 'ada');

  await expect(page.getByRole('heading', { name: 'Choose your username' })).toBeVisible();
  // The ticket never stays in the address bar.
  expect(new URL(page.url()).hash).toBe('');
  await expect(page.getByText('Your account gets the e-mail address ada@example.org.')).toBeVisible();
  await expectAccessible(page, 'SSO: choose a username');
  const username = page.getByRole('textbox', { name: 'Username' });
  await expect(username).toHaveValue('ada');
  const chosen = uniqueName('ada');
  await username.fill(chosen);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByTestId('welcome-name')).toHaveText('Ada Lovelace');
  await expect(page.getByText(`@${chosen}`)).toBeVisible();

  await page.getByRole('link', { name: 'User settings' }).click();
  await page.getByRole('link', { name: 'My account' }).click();
  await expect(page.getByTestId('identity')).toContainText('Test ID');
  await expect(page.getByTestId('identity')).toContainText('ada@example.org');
  await page.getByRole('button', { name: 'Remove Test ID' }).click();
  await expect(page.getByText('This is your only way to sign in')).toBeVisible();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  // The provider remembers this browser, so it sends it straight back: the same account.
  await page.getByRole('link', { name: 'Continue with Test ID' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByText(`@${chosen}`)).toBeVisible();
});

test('an existing password account links the provider after its password, and signs in with it afterwards', async ({ page }) => {
  const username = uniqueName('grace');
  await page.goto('/register');
  await page.getByLabel('E-mail').fill('grace@example.org');
  await page.getByLabel('Display name').fill('Grace Hopper');
  await page.getByLabel('Username', { exact: false }).first().fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await logOut(page);

  await page.getByRole('link', { name: 'Continue with Test ID' }).click();
  await signInAtProvider(page, 'grace');
  await expect(page.getByRole('heading', { name: 'You already have an account' })).toBeVisible();
  await expect(page.getByText('An account here uses grace@example.org.')).toBeVisible();
  await expectAccessible(page, 'SSO: link an existing account');
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Link and sign in' }).click();
  await expect(page.getByText('Password does not match.')).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Link and sign in' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByText(`@${username}`)).toBeVisible();

  await logOut(page);
  await page.getByRole('link', { name: 'Continue with Test ID' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByText(`@${username}`)).toBeVisible();
});

test('a signed-in person links the provider from settings; cancelling at the provider says so', async ({ page }) => {
  const username = uniqueName('linus');
  await page.goto('/register');
  await page.getByLabel('Username', { exact: false }).first().fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await page.goto('/settings/account');

  // Cancelled at the provider: back on Parley with a sentence, and a way back to settings.
  await page.getByRole('button', { name: 'Link Test ID' }).click();
  await expect(page.getByRole('heading', { name: 'Test ID' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('sso-error')).toHaveText('Sign-in was cancelled at the provider. Nothing was changed.');
  await expectAccessible(page, 'SSO: error');
  await page.getByRole('link', { name: 'Back to settings' }).click();
  await expectAccessible(page, 'Settings: sign-in methods');

  await page.getByRole('button', { name: 'Link Test ID' }).click();
  await signInAtProvider(page, 'linus');
  await expect(page).toHaveURL(/\/settings\/account/);
  await expect(page.getByText('Test ID is now linked: it signs you in to this account.')).toBeVisible();
  await expect(page.getByTestId('identity')).toContainText('linus@example.org');

  // A password remains, so the identity can go.
  await page.getByRole('button', { name: 'Remove Test ID' }).click();
  await expect(page.getByTestId('identity')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Link Test ID' })).toBeVisible();
});
