import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect } from './fixtures';
import { signUpViaUi } from './helpers';

/** Helpers for the server settings, notification and phone specs. */

/**
 * A signed-up user in a fresh browser context (their own storage and tabs). `setup` runs on the
 * context before the first page opens (permissions, init scripts).
 */
export async function person(browser: Browser, displayName: string, options: Parameters<Browser['newContext']>[0] = {}, setup?: (context: BrowserContext) => Promise<void>): Promise<Page> {
  const context = await browser.newContext(options);
  await setup?.(context);
  const page = await context.newPage();
  await signUpViaUi(page, { displayName });
  return page;
}

/** The signed-in user's ID, asked of the API with the page's own token. */
export async function userIdOf(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const response = await fetch('/api/v10/users/@me', { headers: { Authorization: localStorage.getItem('parley.token') ?? '' } });
    return ((await response.json()) as { id: string }).id;
  });
}

/** Creates a server through the UI and waits for its #general to open; returns the server's ID. */
export async function createServer(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'Add a server' }).click();
  await page.getByLabel('Server name').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('channel-title')).toHaveText('general');
  return /\/channels\/(\d+)\//.exec(page.url())![1]!;
}

/** Makes an invite through the server menu and returns its link. */
export async function inviteLink(page: Page): Promise<string> {
  await page.getByRole('button', { name: /server menu/ }).click();
  await page.getByRole('menuitem', { name: 'Invite people' }).click();
  const link = page.getByTestId('invite-link');
  await expect(link).toHaveValue(/\/invite\/[A-Za-z0-9]+$/);
  const url = await link.inputValue();
  await page.keyboard.press('Escape');
  return url;
}

/** Opens an invite link and joins. */
export async function join(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await page.getByRole('button', { name: /^Join/ }).click();
  await expect(page.getByTestId('channel-title')).toHaveText('general');
}

/** Sends a message from the open channel's composer. */
export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}
