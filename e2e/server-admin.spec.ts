import type { Page } from '@playwright/test';
import { expectAccessible } from './axe';
import { type Person, expect, serverWith, test } from './people';

/**
 * Server settings for moderators and administrators: roles (create, color, permissions,
 * order, members), members (roles, time out, kick, ban), bans and the audit log, each within
 * what the signed-in user's permissions and place in the role hierarchy allow.
 */

const KICK = 1n << 1n;
const BAN = 1n << 2n;
const ADMINISTRATOR = 1n << 3n;
const VIEW_AUDIT_LOG = 1n << 7n;
const MANAGE_MESSAGES = 1n << 13n;
const MANAGE_ROLES = 1n << 28n;
const MODERATE = 1n << 40n;

interface Role {
  id: string;
  name: string;
  color: number;
  hoist: boolean;
  position: number;
  permissions: string;
}

/** Any REST call as this person (checked to be 2xx). */
async function call<T = unknown>(person: Person, method: string, path: string, body?: unknown): Promise<T> {
  const token = (await person.page.evaluate(() => localStorage.getItem('parley.token')))!;
  const response = await person.page.request.fetch(`/api/v10${path}`, { method, headers: { Authorization: token }, ...(body !== undefined && { data: body }) });
  expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBe(true);
  return (response.status() === 204 ? undefined : await response.json()) as T;
}

/** A role made by the owner through the API, given to each of `holders`. */
async function roleFor(owner: Person, guildId: string, name: string, permissions: bigint, holders: Person[] = []): Promise<Role> {
  const role = await call<Role>(owner, 'POST', `/guilds/${guildId}/roles`, { name, permissions: permissions.toString() });
  for (const holder of holders) await call(owner, 'PUT', `/guilds/${guildId}/members/${holder.id}/roles/${role.id}`);
  return role;
}

async function openSettings(page: Page, guildId: string, section: string) {
  await page.goto(`/servers/${guildId}/settings/${section}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

const memberRow = (page: Page, person: Person) => page.locator(`[data-testid="member-row"][data-user-id="${person.id}"]`);
const roleNames = (page: Page) => page.getByTestId('role-list').getByTestId('role-name');

test('the owner makes a Moderators role and gives it; a moderator times out and bans, sees the ban and the audit log, and lifts the ban', async ({ newPerson }) => {
  test.slow();
  const owner = await newPerson('Olive');
  const mod = await newPerson('Milo');
  const target = await newPerson('Trent');
  const { guildId, generalId } = await serverWith(owner, [mod, target], 'Moderated Place');

  // The owner creates the role in Roles: name, color, shown separately, moderators' permissions.
  const page = owner.page;
  await openSettings(page, guildId, 'roles');
  await expect(page.getByRole('heading', { name: 'Roles', level: 1 })).toBeVisible();
  await expect(roleNames(page)).toHaveText(['@everyone']);
  await page.getByRole('button', { name: 'Create role' }).click();
  await expect(page.getByTestId('role-title')).toHaveText('Edit role — new role');
  await expect(roleNames(page)).toHaveText(['new role', '@everyone']);
  await page.getByLabel('Role name').fill('Moderators');
  await page.getByRole('radio', { name: 'Color #3498db' }).click();
  await page.getByLabel('Display role members separately from online members').check();
  await expect(page.getByText('Careful — you have unsaved changes!')).toBeVisible();
  await page.getByRole('tab', { name: 'Permissions' }).click();
  for (const name of ['Kick members', 'Ban members', 'Time out members', 'Manage messages', 'View audit log']) {
    const toggle = page.getByRole('switch', { name });
    await expect(toggle).toHaveAttribute('aria-checked', 'false');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-checked', 'true');
  }
  await expectAccessible(page, 'role permissions');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Changes saved.')).toBeVisible();
  await expect(page.getByText('Careful — you have unsaved changes!')).toHaveCount(0);
  await expect(roleNames(page)).toHaveText(['Moderators', '@everyone']);

  const roles = await call<Role[]>(owner, 'GET', `/guilds/${guildId}/roles`);
  const moderators = roles.find((r) => r.name === 'Moderators')!;
  expect(moderators).toMatchObject({ color: 0x3498db, hoist: true });
  expect(BigInt(moderators.permissions)).toBe(KICK | BAN | MODERATE | MANAGE_MESSAGES | VIEW_AUDIT_LOG);

  // A name the server refuses is shown next to the field, and Reset puts the saved one back.
  await page.getByRole('tab', { name: 'Display' }).click();
  await page.getByLabel('Role name').fill('   ');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByLabel('Role name')).toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByLabel('Role name')).toHaveValue('Moderators');

  // Given to Milo from Members, with the role picker.
  await page.getByRole('link', { name: 'Members' }).click();
  await memberRow(page, mod).getByLabel('Add a role to Milo').selectOption({ label: 'Moderators' });
  await expect(memberRow(page, mod).getByRole('list', { name: 'Roles of Milo' })).toContainText('Moderators');
  await expectAccessible(page, 'members');

  // Milo now has server settings with Members, Bans and Audit log, but not Roles.
  const modPage = mod.page;
  await modPage.goto(`/channels/${guildId}/${generalId}`);
  await modPage.getByRole('button', { name: /server menu/ }).click();
  await modPage.getByRole('menuitem', { name: 'Server settings' }).click();
  await expect(modPage).toHaveURL(new RegExp(`/servers/${guildId}/settings/members$`));
  const nav = modPage.getByRole('navigation');
  for (const section of ['Members', 'Bans', 'Audit log']) await expect(nav.getByRole('link', { name: section })).toBeVisible();
  for (const section of ['Roles', 'Overview', 'Channels', 'Invites']) await expect(nav.getByRole('link', { name: section })).toHaveCount(0);

  // Trent said something; Milo times him out for an hour.
  const sent = await call<{ id: string }>(target, 'POST', `/channels/${generalId}/messages`, { content: 'buy cheap stuff' });
  const trent = memberRow(modPage, target);
  await trent.getByRole('button', { name: 'Time out Trent' }).click();
  const timeoutDialog = modPage.getByRole('dialog', { name: 'Time out Trent' });
  await timeoutDialog.getByLabel('1 hour').check();
  await timeoutDialog.getByLabel('Reason (optional)').fill('cool off');
  await timeoutDialog.getByRole('button', { name: 'Time out' }).click();
  await expect(timeoutDialog).toHaveCount(0);
  await expect(trent.getByTestId('timed-out')).toContainText('Timed out');
  await expect(trent.getByRole('button', { name: 'Remove timeout of Trent' })).toBeVisible();
  const timedOut = await call<{ communication_disabled_until: string | null }>(owner, 'GET', `/guilds/${guildId}/members/${target.id}`);
  expect(Date.parse(timedOut.communication_disabled_until!) - Date.now()).toBeGreaterThan(55 * 60_000);
  // The owner's open Members page shows it live.
  await expect(memberRow(page, target).getByTestId('timed-out')).toBeVisible();
  // It can be lifted early, and put back.
  await trent.getByRole('button', { name: 'Remove timeout of Trent' }).click();
  await expect(trent.getByTestId('timed-out')).toHaveCount(0);
  await expect(memberRow(page, target).getByTestId('timed-out')).toHaveCount(0);
  await trent.getByRole('button', { name: 'Time out Trent' }).click();
  await timeoutDialog.getByLabel('1 week').check();
  await timeoutDialog.getByRole('button', { name: 'Time out' }).click();
  await expect(trent.getByTestId('timed-out')).toBeVisible();

  // The owner watches the bans list meanwhile.
  await page.getByRole('link', { name: 'Bans' }).click();
  await expect(page.getByTestId('no-bans')).toBeVisible();

  // Then bans him, deleting the last hour of his messages.
  await trent.getByRole('button', { name: 'Ban Trent' }).click();
  const banDialog = modPage.getByRole('dialog', { name: 'Ban Trent' });
  await banDialog.getByLabel('Reason (optional)').fill('spam');
  await banDialog.getByLabel('Previous hour').check();
  await banDialog.getByRole('button', { name: 'Ban', exact: true }).click();
  await expect(banDialog).toHaveCount(0);
  await expect(trent).toHaveCount(0);
  const history = await call<{ id: string }[]>(owner, 'GET', `/channels/${generalId}/messages`);
  expect(history.map((m) => m.id)).not.toContain(sent.id);

  // Bans lists him with the reason (and the owner's open list got him live).
  await expect(page.getByTestId('ban-row').getByTestId('ban-reason')).toHaveText('Reason: spam');
  await modPage.getByRole('link', { name: 'Bans' }).click();
  const ban = modPage.getByTestId('ban-row');
  await expect(ban).toHaveCount(1);
  await expect(ban).toContainText('Trent');
  await expect(ban.getByTestId('ban-reason')).toHaveText('Reason: spam');

  // The audit log says who did what to whom, and why; the action filter narrows it.
  await modPage.getByRole('link', { name: 'Audit log' }).click();
  const entries = modPage.getByTestId('audit-entry');
  await expect(entries.filter({ hasText: 'Milo banned Trent: spam' })).toHaveCount(1);
  await expect(entries.filter({ hasText: /Milo timed out Trent until .*: cool off/ })).toHaveCount(1);
  await expect(entries.filter({ hasText: 'Olive gave Milo Moderators' })).toHaveCount(1);
  await expect(entries.filter({ hasText: 'Milo removed the timeout of Trent' })).toHaveCount(1);
  await expect(entries.filter({ hasText: /Milo timed out Trent until/ })).toHaveCount(2);
  await expect(entries.first()).toContainText('Milo banned Trent');
  await modPage.getByLabel('Filter by action').selectOption({ label: 'Bans' });
  await expect(entries).toHaveCount(1);
  await expect(entries).toContainText('Milo banned Trent: spam');
  // Two filters changed in a row: the answer for the first one (every user) is held back until
  // the second's has been shown; arriving last, it must not replace it.
  let releaseUnfiltered!: () => void;
  const unfilteredHeld = new Promise<void>((resolve) => (releaseUnfiltered = resolve));
  await modPage.route(/\/audit-logs\?/, async (route) => {
    if (!route.request().url().includes('user_id=')) await unfilteredHeld;
    await route.continue();
  });
  const unfilteredAnswered = modPage.waitForResponse((r) => r.url().includes('/audit-logs?') && !r.url().includes('user_id='));
  await modPage.getByLabel('Filter by action').selectOption({ label: 'All actions' });
  await modPage.getByLabel('Filter by user').selectOption({ label: 'Olive' });
  await expect(entries.filter({ hasText: 'Olive created the role' })).toHaveCount(1);
  releaseUnfiltered();
  await unfilteredAnswered;
  await modPage.unroute(/\/audit-logs\?/);
  await expect(entries.filter({ hasText: 'Milo banned' })).toHaveCount(0);
  await expect(entries.filter({ hasText: 'Olive created the role' })).toHaveCount(1);
  await expectAccessible(modPage, 'audit log');

  // Lifting the ban.
  await modPage.getByRole('link', { name: 'Bans' }).click();
  await modPage.getByRole('button', { name: 'Revoke the ban of Trent' }).click();
  await expect(modPage.getByTestId('no-bans')).toBeVisible();
  await expect(page.getByTestId('no-bans')).toBeVisible();
  const bans = await call<unknown[]>(owner, 'GET', `/guilds/${guildId}/bans`);
  expect(bans).toEqual([]);
});

test('roles moved with the keyboard buttons move for another administrator at once', async ({ newPerson }) => {
  const owner = await newPerson('Olive');
  const admin = await newPerson('Adam');
  const { guildId } = await serverWith(owner, [admin], 'Ordered Place');
  await roleFor(owner, guildId, 'Admins', ADMINISTRATOR, [admin]);
  await roleFor(owner, guildId, 'Helpers', 0n);
  await roleFor(owner, guildId, 'Regulars', 0n);
  // Each new role lands just above @everyone.
  const order = ['Admins', 'Helpers', 'Regulars', '@everyone'];

  await openSettings(owner.page, guildId, 'roles');
  await openSettings(admin.page, guildId, 'roles');
  await expect(roleNames(owner.page)).toHaveText(order);
  await expect(roleNames(admin.page)).toHaveText(order);

  // Regulars goes to the top, by keyboard only.
  const up = owner.page.getByRole('button', { name: 'Move Regulars up' });
  await up.focus();
  const steps = order.indexOf('Regulars');
  for (let i = 1; i <= steps; i++) {
    await owner.page.keyboard.press('Enter');
    await expect(roleNames(owner.page).nth(steps - i)).toHaveText('Regulars');
    // The focus stays on the arrow (at the top, where "up" is disabled, on "down").
    await expect(owner.page.getByRole('button', { name: i < steps ? 'Move Regulars up' : 'Move Regulars down' })).toBeFocused();
  }
  await expect(owner.page.getByRole('button', { name: 'Move Regulars up' })).toBeDisabled();
  const moved = ['Regulars', ...order.filter((n) => n !== 'Regulars')];
  await expect(roleNames(owner.page)).toHaveText(moved);
  await expect(roleNames(admin.page)).toHaveText(moved);

  // And down one step, for both.
  await owner.page.keyboard.press('Enter');
  const back = [moved[1]!, 'Regulars', ...moved.slice(2)];
  await expect(roleNames(admin.page)).toHaveText(back);
  const saved = await call<Role[]>(admin, 'GET', `/guilds/${guildId}/roles`);
  expect(saved.sort((a, b) => b.position - a.position).map((r) => r.name)).toEqual(back);

  // Dragging a role onto another puts it in that one's place.
  const rows = owner.page.getByTestId('role-row');
  await rows
    .filter({ hasText: back[2]! })
    .getByTestId('drag-handle')
    .dragTo(rows.filter({ hasText: back[0]! }));
  const dragged = [back[2]!, back[0]!, back[1]!, '@everyone'];
  await expect(roleNames(owner.page)).toHaveText(dragged);
  await expect(roleNames(admin.page)).toHaveText(dragged);
});

test('a moderator gets no controls for the owner or for someone whose role is above theirs', async ({ newPerson }) => {
  const owner = await newPerson('Olive');
  const mod = await newPerson('Milo');
  const senior = await newPerson('Sage');
  const member = await newPerson('Pat');
  const { guildId } = await serverWith(owner, [mod, senior, member], 'Ranked Place');
  await roleFor(owner, guildId, 'Moderators', KICK | BAN | MODERATE | MANAGE_ROLES, [mod]);
  // Created later, it lands below Moderators; the owner moves it above.
  const seniors = await roleFor(owner, guildId, 'Seniors', KICK, [senior]);
  await call(owner, 'PATCH', `/guilds/${guildId}/roles`, [{ id: seniors.id, position: 2 }]);

  const page = mod.page;
  await openSettings(page, guildId, 'members');
  await expect(memberRow(page, member).getByRole('button', { name: 'Kick Pat' })).toBeVisible();
  await expect(memberRow(page, member).getByRole('button', { name: 'Ban Pat' })).toBeVisible();
  await expect(memberRow(page, member).getByRole('button', { name: 'Time out Pat' })).toBeVisible();

  for (const [person, note] of [
    [owner, 'The owner cannot be moderated.'],
    [senior, 'Their highest role is at or above yours.'],
  ] as const) {
    const row = memberRow(page, person);
    await expect(row.getByTestId('not-moderatable')).toHaveText(note);
    await expect(row.getByRole('button')).toHaveCount(0);
    await expect(row.getByRole('combobox')).toHaveCount(0);
  }
  // Seniors is above Milo's highest role: he can neither give nor take it.
  await expect(memberRow(page, senior).getByRole('button', { name: /Remove Seniors/ })).toHaveCount(0);
  await expect(memberRow(page, member).getByLabel('Add a role to Pat').locator('option', { hasText: 'Seniors' })).toHaveCount(0);

  // Sage's role is moved below Milo's by the owner: the controls appear live.
  await call(owner, 'PATCH', `/guilds/${guildId}/roles`, [{ id: seniors.id, position: 1 }]);
  await expect(memberRow(page, senior).getByRole('button', { name: 'Kick Sage' })).toBeVisible();
  await expect(memberRow(page, owner).getByRole('button')).toHaveCount(0);

  // Kicking asks first, and the reason reaches the audit log.
  await memberRow(page, member).getByRole('button', { name: 'Kick Pat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Kick Pat' });
  await dialog.getByLabel('Reason (optional)').fill('rude, again');
  await dialog.getByRole('button', { name: 'Kick', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(memberRow(page, member)).toHaveCount(0);
  const log = await call<{ audit_log_entries: { action_type: number; target_id: string; user_id: string; reason?: string }[] }>(owner, 'GET', `/guilds/${guildId}/audit-logs?action_type=20`);
  expect(log.audit_log_entries).toEqual([expect.objectContaining({ target_id: member.id, user_id: mod.id, reason: 'rude, again' })]);
});

test('a role manager cannot switch on a permission they lack, nor edit their own highest role', async ({ newPerson }) => {
  const owner = await newPerson('Olive');
  const manager = await newPerson('Mona');
  const pat = await newPerson('Pat');
  const { guildId } = await serverWith(owner, [manager, pat], 'Delegated Place');
  // Helpers, created last, lands below Managers.
  const managers = await roleFor(owner, guildId, 'Managers', MANAGE_ROLES | KICK, [manager]);
  const helpers = await roleFor(owner, guildId, 'Helpers', 0n);

  const page = manager.page;
  await openSettings(page, guildId, 'roles');
  await expect(roleNames(page)).toHaveText(['Managers', 'Helpers', '@everyone']);
  await page.getByRole('button', { name: /^Helpers/ }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/roles/${helpers.id}$`));
  await page.getByRole('tab', { name: 'Permissions' }).click();
  await expect(page.getByRole('switch', { name: 'Kick members' })).toBeEnabled();
  await expect(page.getByRole('switch', { name: 'Manage roles' })).toBeEnabled();
  for (const name of ['Administrator (every permission)', 'Ban members', 'Manage the server']) await expect(page.getByRole('switch', { name })).toBeDisabled();

  // What she holds, she may grant.
  await page.getByRole('switch', { name: 'Kick members' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Changes saved.')).toBeVisible();
  const saved = (await call<Role[]>(owner, 'GET', `/guilds/${guildId}/roles`)).find((r) => r.id === helpers.id)!;
  expect(BigInt(saved.permissions)).toBe(KICK);

  // Its members: find Pat, give him the role, take it back.
  await page.getByRole('tab', { name: 'Manage members' }).click();
  await expect(page.getByTestId('role-holders')).toHaveCount(0);
  await page.getByLabel('Search members').fill('pa');
  await page.getByRole('button', { name: 'Add Pat to Helpers' }).click();
  await expect(page.getByTestId('role-holders')).toContainText('Pat');
  await expect(page.getByRole('button', { name: 'Add Pat to Helpers' })).toHaveCount(0);
  expect((await call<{ roles: string[] }>(owner, 'GET', `/guilds/${guildId}/members/${pat.id}`)).roles).toEqual([helpers.id]);
  await page.getByRole('button', { name: 'Remove Pat from Helpers' }).click();
  await expect(page.getByTestId('role-holders')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Add Pat to Helpers' })).toBeVisible();

  // Her own highest role is not hers to edit, move or delete.
  await page.getByRole('button', { name: /^Managers/ }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/roles/${managers.id}$`));
  await expect(page.getByText('This role is at or above your highest role, so you cannot change it.')).toBeVisible();
  await expect(page.getByLabel('Role name')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Delete role' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Move Managers down' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Move Helpers up' })).toBeDisabled();
  await page.getByRole('tab', { name: 'Permissions' }).click();
  await expect(page.getByRole('switch', { name: 'Kick members' })).toBeDisabled();

  // On a 375-px phone, the roles and members screens fit without sideways scrolling.
  await page.setViewportSize({ width: 375, height: 740 });
  await expect(page.getByRole('switch', { name: 'Kick members' })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await openSettings(page, guildId, 'members');
  await expect(memberRow(page, pat)).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});
