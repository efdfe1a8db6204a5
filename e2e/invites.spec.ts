import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { PASSWORD, uniqueName } from './helpers';
import { expect, serverWith, test } from './people';

/** An invite link opened while signed out: where it leads, then in by any way of signing in. */

const ICON = path.resolve('packages/web/public/icons/icon-192.png');

/** A browser of its own, signed out, that has opened the invite link. */
async function visitor(browser: Browser, link: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  return page;
}

test('a signed-out visitor sees the server, its icon, members and inviter, and joins after registering, logging in or as a guest', async ({ newPerson, browser }) => {
  test.slow();
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { generalId, guildId } = await serverWith(ada, [grace], 'Night Owls');
  const token = await ada.page.evaluate(() => localStorage.getItem('parley.token'));
  const icon = `data:image/png;base64,${readFileSync(ICON).toString('base64')}`;
  const patched = await ada.page.request.fetch(`/api/v10/guilds/${guildId}`, { method: 'PATCH', headers: { Authorization: token! }, data: { icon } });
  expect(patched.ok(), await patched.text()).toBe(true);
  const { code } = await ada.api.post<{ code: string }>(`/channels/${generalId}/invites`, {});
  const link = `/invite/${code}`;
  const pages: Page[] = [];

  try {
    // What the invite shows before anyone signs in: not a generic "Welcome back!".
    const newcomer = await visitor(browser, link);
    pages.push(newcomer);
    await expect(newcomer).toHaveURL(/\/login\?next=/);
    await expect(newcomer.getByRole('heading', { level: 1 })).toHaveText("You've been invited");
    await expect(newcomer.getByRole('heading', { name: 'Welcome back!' })).toHaveCount(0);
    await expect(newcomer.getByTestId('invite-guild')).toHaveText('Night Owls');
    await expect(newcomer.getByTestId('invite-inviter')).toHaveText('Ada invited you to join');
    await expect(newcomer.getByTestId('invite-members')).toHaveText('2 members');
    await expect(newcomer.getByTestId('invite-icon')).toHaveAttribute('src', new RegExp(`^/cdn/icons/${guildId}/[0-9a-f]+\\.webp$`));
    await expect.poll(() => newcomer.getByTestId('invite-icon').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

    // Register keeps the invite: the new account lands in the server.
    await newcomer.getByRole('link', { name: 'Register' }).click();
    await expect(newcomer).toHaveURL(/\/register\?next=/);
    await expect(newcomer.getByTestId('invite-guild')).toHaveText('Night Owls');
    await newcomer.getByLabel('Display name').fill('Newcomer Nia');
    await newcomer.getByLabel('Username', { exact: false }).first().fill(uniqueName('nia'));
    await newcomer.getByLabel('Password').fill(PASSWORD);
    await newcomer.getByRole('button', { name: 'Create account' }).click();
    await expect(newcomer).toHaveURL(new RegExp(`/channels/${guildId}/${generalId}$`));
    await expect(newcomer.getByTestId('guild-name')).toHaveText('Night Owls');
    await expect(newcomer.getByTestId('channel-title')).toHaveText('general');
    await expect.poll(async () => (await ada.api.get<unknown[]>(`/guilds/${guildId}/members?limit=100`)).length).toBe(3);

    // Log in keeps it too (an account made elsewhere).
    const username = uniqueName('lou');
    const registered = await ada.page.request.post('/api/v10/auth/register', { data: { username, password: PASSWORD, global_name: 'Returning Lou' } });
    expect(registered.ok(), await registered.text()).toBe(true);
    const returning = await visitor(browser, link);
    pages.push(returning);
    await expect(returning.getByTestId('invite-members')).toHaveText('3 members');
    await returning.getByLabel('Username or e-mail').fill(username);
    await returning.getByLabel('Password').fill(PASSWORD);
    await returning.getByRole('button', { name: 'Log in' }).click();
    await expect(returning).toHaveURL(new RegExp(`/channels/${guildId}/${generalId}$`));
    await expect(returning.getByTestId('channel-title')).toHaveText('general');

    // From the register page, "Already have an account?" keeps it as well.
    const wandering = await visitor(browser, link);
    pages.push(wandering);
    await wandering.getByRole('link', { name: 'Register' }).click();
    await wandering.getByRole('link', { name: 'Already have an account?' }).click();
    await expect(wandering.getByTestId('invite-guild')).toHaveText('Night Owls');

    // And so does continuing as a guest.
    await wandering.getByRole('button', { name: 'Continue as guest' }).click();
    await expect(wandering).toHaveURL(new RegExp(`/channels/${guildId}/${generalId}$`));
    await expect(wandering.getByTestId('channel-title')).toHaveText('general');
    await expect.poll(async () => (await ada.api.get<unknown[]>(`/guilds/${guildId}/members?limit=100`)).length).toBe(5);

    // A dead invite says so, and signing in still works.
    const lost = await visitor(browser, '/invite/nosuchcode');
    pages.push(lost);
    await expect(lost.getByRole('alert')).toContainText('invalid, has expired, or has been used up');
    await lost.getByRole('button', { name: 'Continue as guest' }).click();
    await expect(lost).toHaveURL(/\/invite\/nosuchcode$/);
    await expect(lost.getByText('This invite is invalid, has expired, or has been used up.')).toBeVisible();
  } finally {
    for (const page of pages) await page.context().close();
  }
});
