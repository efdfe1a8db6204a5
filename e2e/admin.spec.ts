import { execFileSync } from 'node:child_process';
import { expect, test } from './fixtures';
import { logInViaUi, uniqueName } from './helpers';

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
