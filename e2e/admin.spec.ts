import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expectAccessible } from './axe';
import { logInViaUi, uniqueName } from './helpers';
import { expect, serverWith, test } from './people';

test('the first admin, created by the documented command, must replace the one-time password', async ({ page }) => {
  const username = uniqueName('admin');
  // The exact command the README gives, against the e2e server's data directory.
  const output = execFileSync('npm', ['run', '--silent', 'parley', '--', 'admin', 'create', username], {
    env: { ...process.env, DATA_DIR: '.test-output/e2e-data' },
    encoding: 'utf8',
  });
  const password = /One-time password: (\S+)/.exec(output)![1]!;

  await logInViaUi(page, username, password);
  await expect(page).toHaveURL(/\/change-password$/);
  await page.goto('/settings/profile');
  await expect(page).toHaveURL(/\/change-password$/);

  await page.getByLabel('One-time password').fill(password);
  await page.getByRole('textbox', { name: 'New password' }).fill('admin picked this');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);

  await page.evaluate(() => localStorage.clear());
  await logInViaUi(page, username, 'admin picked this');
  await expect(page).toHaveURL(/\/channels\/@me$/);
});

/** An instance admin made by the documented command, signed in in `page` with their own password. */
async function signInAsNewAdmin(page: Page): Promise<{ username: string; password: string }> {
  const username = uniqueName('admin');
  const output = execFileSync('npm', ['run', '--silent', 'parley', '--', 'admin', 'create', username], { env: { ...process.env, DATA_DIR: '.test-output/e2e-data' }, encoding: 'utf8' });
  const oneTime = /One-time password: (\S+)/.exec(output)![1]!;
  await logInViaUi(page, username, oneTime);
  await page.getByLabel('One-time password').fill(oneTime);
  await page.getByRole('textbox', { name: 'New password' }).fill('admin picked this');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  return { username, password: 'admin picked this' };
}

test('an admin provisions ten students from a CSV file; one signs in with the one-time password and sets their own', async ({ page, browser }) => {
  // Several browsers and the CLI: slow on a loaded machine (measured: the sign-out itself arrives within ~100 ms).
  test.slow();
  await signInAsNewAdmin(page);
  // The portal is reached from the settings, for admins.
  await page.goto('/settings/profile');
  await page.getByRole('link', { name: 'Admin portal' }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await page.getByRole('link', { name: 'Provisioning' }).click();

  const tag = uniqueName('class').replace('_', '');
  const csv = ['email,name,minor', ...Array.from({ length: 10 }, (_, i) => `student${i + 1}.${tag}@uni.test,Student ${i + 1},${i < 5 ? 'yes' : 'no'}`)].join('\n');
  await page.getByTestId('csv-file').setInputFiles({ name: 'students.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByLabel('Download them once as a CSV file').check();
  await page.getByRole('button', { name: 'Create accounts' }).click();
  await expect(page.getByTestId('import-summary')).toHaveText('Created 10 account(s); skipped 0.');
  await expect(page.getByRole('table', { name: 'Created accounts' }).getByRole('row')).toHaveCount(11);

  const downloading = page.waitForEvent('download');
  await page.getByTestId('download-passwords').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('one-time-passwords.csv');
  const rows = readFileSync((await download.path())!, 'utf8')
    .trim()
    .split(/\r?\n/);
  expect(rows[0]).toBe('username,email,password');
  expect(rows).toHaveLength(11);
  // Once: the passwords are gone from the page.
  await expect(page.getByTestId('download-passwords')).toHaveCount(0);
  await expectAccessible(page, 'admin provisioning');

  // Running the same list again creates nobody.
  await page.getByLabel('Download them once as a CSV file').check();
  await page.getByRole('button', { name: 'Create accounts' }).click();
  await expect(page.getByTestId('import-summary')).toHaveText('Created 0 account(s); skipped 10.');
  await expect(page.getByRole('table', { name: 'Skipped lines' })).toContainText('An account with this address already exists');

  const [username, email, password] = rows[3]!.split(',') as [string, string, string];
  expect(email).toBe(`student3.${tag}@uni.test`);
  const student = await (await browser.newContext()).newPage();
  await logInViaUi(student, username, password);
  await expect(student).toHaveURL(/\/change-password$/);
  await student.getByLabel('One-time password').fill(password);
  await student.getByRole('textbox', { name: 'New password' }).fill('student picked this');
  await student.getByRole('button', { name: 'Save and continue' }).click();
  await expect(student).toHaveURL(/\/channels\/@me$/);
  await student.context().close();
});

test('an admin disables someone signed in elsewhere: their session ends live; enabling lets them back', async ({ page, newPerson }) => {
  // Several browsers and the CLI: slow on a loaded machine (measured: the sign-out itself arrives within ~100 ms).
  test.slow();
  const admin = await signInAsNewAdmin(page);
  const person = await newPerson('Sam');
  await page.goto('/admin/users');
  await page.getByLabel('Search by username, name or e-mail').fill(person.username);
  await page.getByRole('button', { name: 'Search' }).click();
  await page
    .getByRole('list', { name: 'Accounts' })
    .getByRole('button', { name: new RegExp(person.username) })
    .click();
  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('alertdialog').or(page.getByRole('dialog')).getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByTestId('account-status')).toHaveText(/Disabled/);
  await expectAccessible(page, 'admin users');

  // Sam's open tab is signed out at once, and cannot sign in again.
  await expect(person.page).toHaveURL(/\/login/);
  await logInViaUi(person.page, person.username);
  await expect(person.page.getByRole('alert')).toContainText('disabled by an administrator');

  await page.getByRole('button', { name: 'Enable' }).click();
  await expect(page.getByTestId('account-status')).toHaveText(/Active/);
  await logInViaUi(person.page, person.username);
  await expect(person.page).toHaveURL(/\/channels\/@me$/);

  // On record, by name: who disabled whom.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').selectOption('user_disable');
  const row = page
    .getByRole('table', { name: 'Instance audit log' })
    .getByRole('row')
    .filter({ hasText: `Sam (@${person.username})` })
    .filter({ hasText: 'user disable' });
  await expect(row).toContainText(`(@${admin.username})`);
});

test('the statistics page charts what happened: users, and a message sent today', async ({ page, newPerson }) => {
  // Several browsers and the CLI: slow on a loaded machine (measured: the sign-out itself arrives within ~100 ms).
  test.slow();
  await signInAsNewAdmin(page);
  const token = (await page.evaluate(() => localStorage.getItem('parley.token')))!;
  const stats = async () =>
    (await (await page.request.get('/api/v10/admin/stats', { headers: { Authorization: token } })).json()) as { users: { total: number }; messages_per_day: { count: number }[] };
  await page.goto('/admin/statistics');
  const messages = page.getByTestId('chart-messages');
  await expect(messages).toBeVisible();
  const todayBefore = Number(await messages.getAttribute('data-today'));

  // Someone new joins and says something.
  const ana = await newPerson('Ana');
  const server = await serverWith(ana, [], 'Stats club');
  await ana.api.post(`/channels/${server.generalId}/messages`, { content: 'hello statistics' });

  const before = await stats();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(messages).not.toHaveAttribute('data-today', String(todayBefore));
  const after = await stats();
  const shownToday = Number(await messages.getAttribute('data-today'));
  // Other journeys may run at the same time: what the page shows lies between two readings of the API around it.
  expect(shownToday).toBeGreaterThanOrEqual(Math.max(todayBefore + 1, before.messages_per_day.at(-1)!.count));
  expect(shownToday).toBeLessThanOrEqual(after.messages_per_day.at(-1)!.count);
  await expect(messages.getByRole('img')).toHaveAttribute('aria-label', new RegExp(`Messages per day: ${shownToday} today`));
  const total = Number(await page.getByTestId('stat-users-total').locator('dd').textContent());
  expect(total).toBeGreaterThanOrEqual(before.users.total);
  expect(total).toBeLessThanOrEqual(after.users.total);
  expect(total).toBeGreaterThanOrEqual(2);
  await expectAccessible(page, 'admin statistics');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('table', { name: 'Instance audit log' })).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByLabel('Registration')).toHaveValue('open');
  await expect(page.getByTestId('e2ee-with-minors')).toHaveValue('deny');
  await expect(page.getByTestId('link-previews')).toBeChecked();
  await expectAccessible(page, 'admin settings');
});
