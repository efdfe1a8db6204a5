import type { Page } from '@playwright/test';
import { expectAccessible } from './axe';
import { expect, type Person, serverWith, test } from './people';

/**
 * Moderation in the chat screens: channel permission overwrites set in channel settings, and
 * a moderator's profile card (roles, time out, ban) seen live by the person moderated.
 * Roles are made and given through the API (their screens belong to server settings' Roles).
 */

const Bits = { KICK_MEMBERS: 1n << 1n, BAN_MEMBERS: 1n << 2n, MODERATE_MEMBERS: 1n << 40n };

/** Any method, as this person, with an optional reason header; answers must be 2xx. */
async function call(person: Person, method: 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const token = await person.page.evaluate(() => localStorage.getItem('parley.token'));
  const response = await person.page.request.fetch(`/api/v10${path}`, { method, headers: { Authorization: token! }, ...(body !== undefined && { data: body }) });
  expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBe(true);
}

const channelLink = (page: Page, name: string) => page.getByTestId('channel-link').filter({ hasText: new RegExp(`^\\W*${name}\\W*$`) });

/** Sets one permission of the overwrite open in the Permissions editor. */
async function setPermission(page: Page, permission: string, setting: 'Allow' | 'Neutral' | 'Deny') {
  await page.getByRole('radiogroup', { name: permission, exact: true }).getByRole('radio', { name: setting }).check();
}

test('channel permissions: denying @everyone View channel hides a channel live, a role allowed to see it brings it back', async ({ newPerson }) => {
  test.slow();
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId, generalId, channels } = await serverWith(ada, [bob], 'Overwrites', ['staff']);
  const staffRole = await ada.api.post<{ id: string }>(`/guilds/${guildId}/roles`, { name: 'Staff', color: 0x2ecc71 });

  // Bob has #staff open when it is hidden from him.
  await bob.page.goto(`/channels/${guildId}/${channels.staff}`);
  await expect(bob.page.getByTestId('channel-title')).toHaveText('staff');

  const page = ada.page;
  await page.goto(`/servers/${guildId}/settings/channels/${channels.staff}`);
  const section = page.getByTestId('channel-permissions');
  await expect(section.getByRole('heading', { name: 'Permissions' })).toBeVisible();
  await expect(section.getByTestId('overwrite-target')).toHaveCount(0);

  // @everyone: View channel denied.
  await section.getByLabel('Add a role or member').selectOption({ label: '@everyone' });
  await expect(section.getByRole('heading', { name: '@everyone' })).toBeVisible();
  await expect(section.getByRole('radiogroup', { name: 'View channel', exact: true }).getByRole('radio', { name: 'Neutral' })).toBeChecked();
  await setPermission(page, 'View channel', 'Deny');
  await section.getByRole('button', { name: 'Save permissions' }).click();
  await expect(section.getByRole('status')).toHaveText('Permissions for @everyone saved.');

  // Bob's open #staff vanishes: he lands in #general and the link is gone.
  await expect(bob.page.getByTestId('channel-title')).toHaveText('general');
  await expect(bob.page).toHaveURL(new RegExp(`/channels/${guildId}/${generalId}$`));
  await expect(channelLink(bob.page, 'staff')).toHaveCount(0);

  // Staff: View channel allowed.
  await section.getByLabel('Add a role or member').selectOption({ label: 'Staff' });
  await expect(section.getByRole('heading', { name: 'Staff' })).toBeVisible();
  await setPermission(page, 'View channel', 'Allow');
  await section.getByRole('button', { name: 'Save permissions' }).click();
  await expect(section.getByRole('status')).toHaveText('Permissions for Staff saved.');
  // Both overwrites are listed, roles by rank with @everyone last; the saved state came back live.
  await expect(section.getByTestId('overwrite-target')).toHaveText(['Staff', '@everyone']);
  await expectAccessible(page, 'channel permissions');
  await section.getByTestId('overwrite-target').filter({ hasText: '@everyone' }).click();
  await expect(section.getByRole('radiogroup', { name: 'View channel', exact: true }).getByRole('radio', { name: 'Deny' })).toBeChecked();
  await expect(channelLink(bob.page, 'staff')).toHaveCount(0);

  // Given the Staff role, Bob sees #staff appear at once.
  await call(ada, 'PUT', `/guilds/${guildId}/members/${bob.id}/roles/${staffRole.id}`);
  await expect(channelLink(bob.page, 'staff')).toHaveCount(1);
  await channelLink(bob.page, 'staff').click();
  await expect(bob.page.getByTestId('channel-title')).toHaveText('staff');

  // Removing the @everyone overwrite: back to the roles' say (neutral), for everyone.
  await section.getByTestId('overwrite-target').filter({ hasText: '@everyone' }).click();
  await section.getByRole('button', { name: 'Remove overwrite' }).click();
  await expect(section.getByTestId('overwrite-target')).toHaveText(['Staff']);
});

test('a private channel says its members list, not overwrites, decides who reads it', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const guild = await ada.api.post<{ id: string }>('/guilds', { name: 'Private' });
  const secret = await ada.api.post<{ id: string }>(`/guilds/${guild.id}/channels`, { name: 'secret', private: true });
  await ada.page.goto(`/servers/${guild.id}/settings/channels/${secret.id}`);
  await expect(ada.page.getByTestId('private-permissions-note')).toContainText('its members list decides who can read it');
});

test('a moderator times out, then bans a troublemaker from their profile card; the owner is beyond their reach', async ({ newPerson }) => {
  test.slow();
  const ada = await newPerson('Ada');
  const mo = await newPerson('Mo');
  const tom = await newPerson('Tom');
  const { guildId, generalId } = await serverWith(ada, [mo, tom], 'Moderated');
  const invite = await ada.api.post<{ code: string }>(`/channels/${generalId}/invites`, {});
  const permissions = String(Bits.KICK_MEMBERS | Bits.BAN_MEMBERS | Bits.MODERATE_MEMBERS);
  const mods = await ada.api.post<{ id: string }>(`/guilds/${guildId}/roles`, { name: 'Moderators', color: 0x9b59b6, hoist: true, permissions });
  await call(ada, 'PUT', `/guilds/${guildId}/members/${mo.id}/roles/${mods.id}`);
  await mo.api.post(`/channels/${generalId}/messages`, { content: 'Please keep it civil' });
  await tom.api.post(`/channels/${generalId}/messages`, { content: 'spam spam spam' });

  const page = mo.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  await tom.page.goto(`/channels/${guildId}/${generalId}`);
  await ada.page.goto(`/channels/${guildId}/${generalId}`);

  // Mo's name shows in the role's color, and the member list puts him under the hoisted role.
  const purple = 'rgb(155, 89, 182)';
  await expect(page.getByTestId('message').filter({ hasText: 'Please keep it civil' }).getByTestId('message-author')).toHaveCSS('color', purple);
  const list = page.getByTestId('member-list');
  await expect(list.getByTestId('member-group')).toHaveText(['Moderators — 1', 'Online — 2']);
  await expect(list.locator('h2:has-text("Moderators — 1") + ul').getByTestId('member').locator('.name')).toHaveText(['Mo']);

  // The owner's card offers Mo nothing to do to her.
  await list.getByTestId('member').filter({ hasText: 'Ada' }).getByRole('button').click();
  const adaCard = page.getByRole('dialog', { name: 'Profile of Ada' });
  await expect(adaCard.getByTestId('profile-name')).toHaveText('Ada');
  await expect(adaCard.getByTestId('profile-moderation')).toHaveCount(0);
  await expect(adaCard.getByRole('button', { name: /Time out|Kick|Ban/ })).toHaveCount(0);
  await page.keyboard.press('Escape');

  // Tom's card: time out for 60 seconds.
  const tomButton = list.getByTestId('member').filter({ hasText: 'Tom' }).getByRole('button');
  const tomCard = page.getByRole('dialog', { name: 'Profile of Tom' });
  await tomButton.click();
  await expect(tomCard.getByRole('button', { name: 'Kick' })).toBeVisible();
  await expectAccessible(page, 'a profile card with moderation');
  await tomCard.getByRole('button', { name: 'Time out' }).click();
  const timeoutDialog = page.getByRole('dialog', { name: 'Time out Tom' });
  await timeoutDialog.getByRole('radio', { name: '60 seconds' }).check();
  await timeoutDialog.getByRole('button', { name: 'Time out' }).click();
  await expect(timeoutDialog).toBeHidden();
  // Focus comes back to where the card was opened from.
  await expect(tomButton).toBeFocused();

  // Tom's composer gives way to the notice at once; he can no longer react.
  await expect(tom.page.getByTestId('timeout-notice')).toContainText('You are timed out until');
  await expect(tom.page.getByTestId('timeout-notice')).toContainText('You can read but not send messages, react, or join calls.');
  await expectAccessible(tom.page, 'the timeout notice');
  await expect(tom.page.getByTestId('composer')).toHaveCount(0);
  const tomsView = tom.page.getByTestId('message').filter({ hasText: 'Please keep it civil' });
  await tomsView.hover();
  await expect(tomsView.getByRole('button', { name: 'Reply' })).toBeVisible();
  await expect(tomsView.getByRole('button', { name: 'Add reaction' })).toHaveCount(0);

  // Mo removes the timeout: Tom's composer comes back by itself.
  await tomButton.click();
  await expect(tomCard.getByTestId('profile-timed-out')).toBeVisible();
  await tomCard.getByRole('button', { name: 'Remove timeout' }).click();
  await expect(tomCard.getByRole('button', { name: 'Time out' })).toBeVisible();
  await expect(tom.page.getByTestId('composer')).toBeEnabled();
  await expect(tom.page.getByTestId('timeout-notice')).toHaveCount(0);
  await tomsView.hover();
  await expect(tomsView.getByRole('button', { name: 'Add reaction' })).toBeVisible();

  // Ban, deleting the previous hour of his messages.
  await tomCard.getByRole('button', { name: 'Ban' }).click();
  const banDialog = page.getByRole('dialog', { name: 'Ban Tom' });
  await banDialog.getByLabel('Reason (optional)').fill('Spam');
  await banDialog.getByRole('radio', { name: 'Previous hour' }).check();
  await banDialog.getByRole('button', { name: 'Ban' }).click();
  await expect(banDialog).toBeHidden();

  // His messages go for everyone, live; he leaves the member list.
  await expect(page.getByTestId('message').filter({ hasText: 'spam spam spam' })).toHaveCount(0);
  await expect(ada.page.getByTestId('message').filter({ hasText: 'spam spam spam' })).toHaveCount(0);
  await expect(ada.page.getByTestId('message').filter({ hasText: 'Please keep it civil' })).toBeVisible();
  await expect(list.getByTestId('member').filter({ hasText: 'Tom' })).toHaveCount(0);

  // Tom: the server is gone from his list, with a notice saying why.
  await expect(tom.page.getByTestId('departure-notice')).toHaveText(/You were removed from Moderated\./);
  await expect(tom.page.getByTestId('departure-title')).toHaveText('You were removed from Moderated.');
  await expect(tom.page.getByTestId('server-icon')).toHaveCount(0);

  // The invite tells him he is banned, and offers no Join.
  await tom.page.goto(`/invite/${invite.code}`);
  await expect(tom.page.getByText('You are banned from this server.')).toBeVisible();
  await expect(tom.page.getByRole('button', { name: /^Join/ })).toHaveCount(0);
});

test('roles given and taken from the card; kicked while looking: the notice replaces the server, and no notice when leaving on your own', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const kim = await newPerson('Kim');
  const lee = await newPerson('Lee');
  const { guildId, generalId } = await serverWith(ada, [kim, lee], 'Kicks');
  await kim.page.goto(`/channels/${guildId}/${generalId}`);
  await lee.page.goto(`/channels/${guildId}/${generalId}`);

  await ada.api.post(`/guilds/${guildId}/roles`, { name: 'Helpers', color: 0xe67e22 });
  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  await ada.page.getByTestId('member-list').getByTestId('member').filter({ hasText: 'Kim' }).getByRole('button').click();
  const kimCard = ada.page.getByRole('dialog', { name: 'Profile of Kim' });

  // Roles from the card: "+" lists the roles Ada can give; × takes one back.
  await kimCard.getByRole('button', { name: 'Add a role to Kim' }).click();
  await kimCard.getByRole('list', { name: 'Roles you can give Kim' }).getByRole('button', { name: 'Helpers' }).click();
  await expect(kimCard.getByTestId('role-chip')).toHaveText([/Helpers/]);
  // Her name takes the role's orange, darkened to read on white (#e67e22 alone is under 4.5:1).
  await expect(kimCard.getByTestId('profile-name')).not.toHaveCSS('color', 'rgb(17, 24, 39)');
  await expect(kimCard.getByTestId('profile-name')).not.toHaveCSS('color', 'rgb(230, 126, 34)');
  await kimCard.getByRole('button', { name: 'Remove Helpers from Kim' }).click();
  await expect(kimCard.getByTestId('role-chip')).toHaveCount(0);

  await kimCard.getByRole('button', { name: 'Kick' }).click();
  const kick = ada.page.getByRole('dialog', { name: 'Kick Kim' });
  await kick.getByLabel('Reason (optional)').fill('Cooling off');
  await kick.getByRole('button', { name: 'Kick' }).click();
  await expect(kick).toBeHidden();
  await expect(kim.page.getByTestId('departure-title')).toHaveText('You were removed from Kicks.');
  await expect(kim.page.getByTestId('server-icon')).toHaveCount(0);
  // The reason reached the audit log.
  const log = await ada.api.get<{ audit_log_entries: { reason?: string | null; target_id: string | null }[] }>(`/guilds/${guildId}/audit-logs`);
  expect(log.audit_log_entries.find((e) => e.target_id === kim.id)?.reason).toBe('Cooling off');

  // Lee leaves by herself: nothing to tell her.
  await lee.page.getByRole('button', { name: /server menu/ }).click();
  await lee.page.getByRole('menuitem', { name: 'Leave server' }).click();
  await lee.page.getByRole('dialog').getByRole('button', { name: /Leave/ }).click();
  await expect(lee.page).toHaveURL(/\/channels\/@me/);
  await expect(lee.page.getByTestId('server-icon')).toHaveCount(0);
  await expect(lee.page.getByTestId('departure-notice')).toHaveCount(0);
});

test('a timeout ends by itself: the composer comes back when its time is up, and calls stay shut until then', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const tom = await newPerson('Tom');
  const { guildId, generalId } = await serverWith(ada, [tom], 'Clockwork');
  // Tom's page keeps a controllable clock: the minute passes without the test waiting for it.
  await tom.page.clock.install();
  await tom.page.goto(`/channels/${guildId}/${generalId}`);
  await expect(tom.page.getByTestId('composer')).toBeEnabled();

  const until = new Date((await tom.page.evaluate(() => Date.now())) + 60_000).toISOString();
  await call(ada, 'PATCH', `/guilds/${guildId}/members/${tom.id}`, { communication_disabled_until: until });
  await expect(tom.page.getByTestId('timeout-notice')).toBeVisible();

  // The voice channel offers no Join while it lasts, and says why.
  await tom.page.getByTestId('voice-channel-link').first().click();
  await expect(tom.page.getByTestId('call-timed-out')).toContainText('You are timed out until');
  await expect(tom.page.getByTestId('join-call')).toHaveCount(0);

  await tom.page.clock.fastForward(61_000);
  await expect(tom.page.getByTestId('join-call')).toBeVisible();
  await expect(tom.page.getByTestId('call-timed-out')).toHaveCount(0);
  await tom.page.getByTestId('channel-link').filter({ hasText: 'general' }).click();
  await expect(tom.page.getByTestId('composer')).toBeEnabled();
  await expect(tom.page.getByTestId('timeout-notice')).toHaveCount(0);
});
