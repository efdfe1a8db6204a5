import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { logInViaUi, signUpViaUi, uniqueName, waitUntilLive } from './helpers';
import { createServer, inviteLink, join, person, send, userIdOf } from './servers';

declare global {
  interface Window {
    shown: { title: string; body: string; onclick: (() => void) | null }[];
  }
}

/**
 * Lets notifications through and records them instead of handing them to the desktop: the test
 * reads what would have shown and can click it.
 */
async function recordNotifications(context: BrowserContext): Promise<void> {
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    const Native = window.Notification;
    window.shown = [];
    class Recorded extends EventTarget {
      static get permission() {
        return Native.permission;
      }
      static requestPermission() {
        return Native.requestPermission();
      }
      onclick: (() => void) | null = null;
      constructor(
        readonly title: string,
        options: NotificationOptions = {},
      ) {
        super();
        window.shown.push(Object.assign(this, { body: options.body ?? '' }));
      }
      close() {}
    }
    window.Notification = Recorded as unknown as typeof Notification;
  });
}

const shown = (page: Page) => page.evaluate(() => window.shown.map(({ title, body }) => ({ title, body })));

/** Makes the page believe its tab went to the background. */
async function hideTab(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

test('a mention notifies when you are elsewhere or the tab is hidden; the tab shows the count; Do Not Disturb silences it', async ({ browser }) => {
  const ada = await person(browser, 'Ada', {}, recordNotifications);
  const guildId = await createServer(ada, 'Lab');
  const link = await inviteLink(ada);
  const grace = await person(browser, 'Grace');
  await join(grace, link);
  // A second sender keeps everyone under the per-channel send limit (5 messages in 5 seconds).
  const linus = await person(browser, 'Linus');
  await join(linus, link);
  const adaId = await userIdOf(ada);

  // The settings page knows the permission is granted, and its test notification shows.
  await ada.goto('/settings/notifications');
  await expect(ada.getByLabel('Show desktop notifications on this device')).toBeChecked();
  await ada.getByRole('button', { name: 'Send a test notification' }).click();
  await expect.poll(() => shown(ada)).toEqual([{ title: 'Parley', body: expect.stringContaining('Desktop notifications work') }]);
  await expect(ada).toHaveTitle('Parley');

  // Chatter does not notify (mentions only by default); a mention does, with the tab count and favicon badge.
  await send(grace, 'just chatting');
  await send(grace, `<@${adaId}> can you check the results?`);
  await expect.poll(() => shown(ada)).toHaveLength(2);
  expect((await shown(ada))[1]).toEqual({ title: 'Grace (#general, Lab)', body: '@Ada can you check the results?' });
  await expect(ada).toHaveTitle('(1) Parley');
  await expect(ada.locator('link[rel="icon"]')).toHaveAttribute('href', /^data:image\/png;base64,/);

  // Clicking it opens the channel, which reads it: the count goes.
  await ada.evaluate(() => window.shown[1]!.onclick!());
  await expect(ada).toHaveURL(new RegExp(`/channels/${guildId}/\\d+$`));
  await expect(ada.getByTestId('channel-title')).toHaveText('general');
  await expect(ada).toHaveTitle('Parley');
  await expect(ada.locator('link[rel="icon"]')).toHaveAttribute('href', '/favicon.svg');

  // Looking at the channel: no notification. Tab in the background: one.
  await send(grace, `<@${adaId}> seen it?`);
  await expect(ada.getByTestId('message-text').filter({ hasText: 'seen it?' })).toBeVisible();
  await hideTab(ada);
  await send(grace, `<@${adaId}> hello?`);
  await expect.poll(() => shown(ada)).toHaveLength(3);
  expect((await shown(ada))[2]!.body).toBe('@Ada hello?');
  await expect(ada).toHaveTitle('(1) Parley');

  // Do Not Disturb: nothing shows until it is lifted.
  await ada.getByRole('button', { name: 'Set your status' }).click();
  await ada.getByRole('menuitem', { name: /Do not disturb/ }).click();
  await send(linus, `<@${adaId}> are you there?`);
  await expect(ada).toHaveTitle('(2) Parley');
  await ada.getByRole('button', { name: 'Set your status' }).click();
  await ada.getByRole('menuitem', { name: /^Online/ }).click();
  await send(linus, `<@${adaId}> back?`);
  await expect(ada).toHaveTitle('(3) Parley');
  await expect.poll(async () => (await shown(ada)).map((n) => n.body)).toEqual([expect.any(String), expect.any(String), '@Ada hello?', '@Ada back?']);
});

test('direct messages notify, except a stranger’s message request', async ({ browser }) => {
  const ada = await person(browser, 'Ada', {}, recordNotifications);
  const grace = await person(browser, 'Grace');
  const adaId = await userIdOf(ada);
  const dm = await grace.evaluate(async (recipient) => {
    const headers = { Authorization: localStorage.getItem('parley.token') ?? '', 'Content-Type': 'application/json' };
    const response = await fetch('/api/v10/users/@me/channels', { method: 'POST', headers, body: JSON.stringify({ recipient_id: recipient }) });
    return ((await response.json()) as { id: string }).id;
  }, adaId);
  await grace.goto(`/channels/@me/${dm}`);
  await send(grace, 'hi Ada, got a minute?');

  // A request waits quietly; once accepted, the conversation notifies like any DM.
  await ada.goto(`/channels/@me/${dm}`);
  await ada.getByRole('button', { name: 'Accept' }).click();
  // Accepted once the request's buttons go (the server answered), not merely clicked.
  await expect(ada.getByRole('button', { name: 'Accept' })).toHaveCount(0);
  await ada.goto('/channels/@me');
  // The reloaded client must be connected again before the message, or it only learns of it as unread.
  await waitUntilLive(ada);
  await send(grace, 'about the lab results');
  await expect.poll(() => shown(ada)).toEqual([{ title: 'Grace', body: 'about the lab results' }]);
  await expect(ada).toHaveTitle('(1) Parley');
});

test('an end-to-end encrypted DM notifies with its text, opened on this device', async ({ browser }) => {
  const ada = await person(browser, 'Ada', {}, recordNotifications);
  const grace = await person(browser, 'Grace');
  const adaId = await userIdOf(ada);
  const call = (page: Page, method: string, path: string, body?: unknown) =>
    page.evaluate(
      async ([method, path, body]) => {
        const headers = { Authorization: localStorage.getItem('parley.token') ?? '', 'Content-Type': 'application/json' };
        const response = await fetch(`/api/v10${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
        return response.status === 204 ? null : ((await response.json()) as unknown);
      },
      [method, path, body] as const,
    );
  // Ada's browser is an encryption device once signed in: Grace's first message is sealed for it too.
  await expect(ada.locator('html[data-e2ee="ready"]')).toHaveCount(1);
  const dm = ((await call(grace, 'POST', '/users/@me/channels', { recipient_id: adaId, e2ee: true })) as { id: string }).id;
  await grace.goto(`/channels/@me/${dm}`);
  await send(grace, 'the door code is 4711');
  await ada.goto(`/channels/@me/${dm}`);
  await expect(ada.getByTestId('message-text').filter({ hasText: 'door code' })).toBeVisible();
  await ada.getByRole('button', { name: 'Accept' }).click();
  await expect(ada.getByRole('button', { name: 'Accept' })).toHaveCount(0);
  await ada.goto('/channels/@me');
  await waitUntilLive(ada);
  await send(grace, 'and the alarm code is 0815');
  await expect.poll(() => shown(ada)).toEqual([{ title: 'Grace', body: 'and the alarm code is 0815' }]);
});

test('notification settings follow the user to their other devices, and decide what notifies', async ({ browser }) => {
  // Three browsers and a dozen round trips: more than the default time on a busy machine.
  test.slow();
  const username = uniqueName('ada');
  const laptopContext = await browser.newContext();
  await recordNotifications(laptopContext);
  const laptop = await laptopContext.newPage();
  await signUpViaUi(laptop, { username, displayName: 'Ada' });
  const guildId = await createServer(laptop, 'Lab');
  const grace = await person(browser, 'Grace');
  await join(grace, await inviteLink(laptop));

  const phone = await (await browser.newContext()).newPage();
  await logInViaUi(phone, username);
  await expect(phone).toHaveURL(/\/channels\/@me$/);
  await phone.goto('/settings/notifications');
  const server = (page: Page) => page.getByTestId('notification-server').filter({ hasText: 'Lab' });
  await expect(server(phone).getByLabel('Lab: Only @mentions')).toBeChecked();

  // The laptop asks for every message from Lab; the phone shows it at once, and after a reload.
  await laptop.goto('/settings/notifications');
  await server(laptop).getByLabel('Lab: All messages').check();
  await expect(server(phone).getByLabel('Lab: All messages')).toBeChecked();
  await phone.reload();
  await expect(server(phone).getByLabel('Lab: All messages')).toBeChecked();

  // Every message notifies now.
  await send(grace, 'lunch at noon');
  await expect.poll(() => shown(laptop)).toEqual([{ title: 'Grace (#general, Lab)', body: 'lunch at noon' }]);

  // The phone mutes #general from the channel's menu: the laptop follows, and #general goes quiet.
  await phone.goto(`/channels/${guildId}`);
  await phone.getByTestId('channel-link').filter({ hasText: 'general' }).click({ button: 'right' });
  await phone.getByRole('menuitemcheckbox', { name: 'Mute channel' }).click();
  await laptop.getByRole('button', { name: 'Channel overrides…' }).click();
  const override = laptop.getByTestId('notification-override').filter({ hasText: 'general' });
  await expect(override.getByRole('checkbox', { name: 'Mute general' })).toBeChecked();
  await laptop.keyboard.press('Escape');
  await send(grace, 'anyone?');
  // The phone unmutes it: the laptop hears of that after the message (one ordered stream), so
  // only a later message may notify, which shows the mute held.
  await phone.getByTestId('channel-link').filter({ hasText: 'general' }).click({ button: 'right' });
  await expect(phone.getByRole('menuitemcheckbox', { name: 'Mute channel' })).toBeChecked();
  await phone.getByRole('menuitemcheckbox', { name: 'Mute channel' }).click();
  await laptop.getByRole('button', { name: 'Channel overrides…' }).click();
  await expect(laptop.getByTestId('notification-override')).toHaveCount(0);
  await laptop.keyboard.press('Escape');
  await send(grace, 'unmuted now');
  await expect.poll(async () => (await shown(laptop)).map((n) => n.body)).toEqual(['lunch at noon', 'unmuted now']);
});
