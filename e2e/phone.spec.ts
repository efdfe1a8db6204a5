import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { createServer, inviteLink, join, person, send } from './servers';

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };

/** Nothing on the page is wider than the screen: no sideways scrolling. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
}

test('on a 375-px phone: drawers for servers, channels and members; chat and settings without sideways scrolling', async ({ browser }) => {
  const desk = await person(browser, 'Desk Dana');
  await createServer(desk, 'Pocket Club');
  const link = await inviteLink(desk);

  const phone = await person(browser, 'Phone Pat', PHONE);
  const navigation = phone.getByTestId('nav-drawer');
  const members = phone.getByTestId('member-list');
  await expect(navigation).toBeHidden();
  await expectNoSidewaysScroll(phone);

  await join(phone, link);
  await expect(navigation).toBeHidden();
  await expect(members).toBeHidden();
  await expectNoSidewaysScroll(phone);

  // The channel drawer opens from the header, and picking a channel closes it.
  await phone.getByRole('button', { name: 'Open navigation' }).tap();
  await expect(navigation).toBeVisible();
  await expect(phone.getByRole('link', { name: 'Pocket Club' })).toBeVisible();
  await phone.getByTestId('channel-link').filter({ hasText: 'general' }).tap();
  await expect(navigation).toBeHidden();

  // The member list is a drawer from the right; the backdrop closes it, so does Escape.
  await phone.getByRole('button', { name: 'Show members' }).tap();
  await expect(members).toBeVisible();
  await expect(members.getByTestId('member').filter({ hasText: 'Desk Dana' })).toBeVisible();
  await phone.getByRole('button', { name: 'Close member list' }).tap({ position: { x: 20, y: 300 } });
  await expect(members).toBeHidden();
  await phone.getByRole('button', { name: 'Show members' }).tap();
  await expect(members).toBeVisible();
  await phone.keyboard.press('Escape');
  await expect(members).toBeHidden();

  // Chat both ways.
  await send(phone, 'Hello from my phone');
  await expect(desk.getByTestId('message-text').filter({ hasText: 'Hello from my phone' })).toBeVisible();
  await send(desk, 'Hi Pat!');
  await expect(phone.getByTestId('message-text').filter({ hasText: 'Hi Pat!' })).toBeVisible();
  await expectNoSidewaysScroll(phone);

  // Settings screens fit too.
  await phone.goto('/settings/notifications');
  await expect(phone.getByRole('heading', { name: 'Notifications', exact: true })).toBeVisible();
  await expectNoSidewaysScroll(phone);
});

test('on a phone, the server owner manages channels and invites without sideways scrolling', async ({ browser }) => {
  const owner = await person(browser, 'Owner Olive', PHONE);
  await owner.getByRole('button', { name: 'Open navigation' }).tap();
  const guildId = await createServer(owner, 'Pocket Studio');
  await owner.getByRole('button', { name: 'Open navigation' }).tap();
  await owner.getByRole('button', { name: /server menu/ }).tap();
  await owner.getByRole('menuitem', { name: 'Server settings' }).tap();
  await expect(owner.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expectNoSidewaysScroll(owner);
  await owner.getByRole('link', { name: 'Channels' }).tap();
  await owner.getByRole('button', { name: 'Move #general up' }).tap();
  await expect(owner.getByTestId('settings-group').first().getByTestId('settings-channel-name')).toHaveText(['general']);
  await expectNoSidewaysScroll(owner);
  await owner.goto(`/servers/${guildId}/settings/invites`);
  await owner.getByRole('button', { name: 'Create invite' }).tap();
  await expect(owner.getByTestId('invite-link')).toHaveValue(/\/invite\//);
  await owner.keyboard.press('Escape');
  await expect(owner.getByTestId('invite-row')).toHaveCount(1);
  await expectNoSidewaysScroll(owner);
});
