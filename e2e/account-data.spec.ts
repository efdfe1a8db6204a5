import yauzl from 'yauzl';
import { expect, test } from './fixtures';
import { PASSWORD, logInViaUi, signUpViaUi } from './helpers';

/** The names and contents of a ZIP archive's entries. */
async function unzip(file: string): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true }, (error, z) => (error ? reject(error) : resolve(z))));
  const entries = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks).toString());
          zip.readEntry();
        });
      }),
    );
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

test('download my data as one archive from the account settings', async ({ page }) => {
  const username = await signUpViaUi(page, { displayName: 'Archivist' });
  await page.goto('/settings/account');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download my data' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^parley-data-\d{4}-\d{2}-\d{2}\.zip$/);
  const entries = await unzip(await file.path());
  expect(JSON.parse(entries.get('account.json')!).user).toMatchObject({ username, global_name: 'Archivist' });
  expect(entries.get('README.txt')).toContain('messages/<id>.jsonl');
});

test('delete my account: signed out, and signing in again within the grace period can keep it', async ({ page }) => {
  const username = await signUpViaUi(page);
  await page.goto('/settings/account');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
  await dialog.getByLabel('Password').fill('not my password');
  await dialog.getByRole('button', { name: 'Delete my account' }).click();
  await expect(dialog.getByText('Password does not match.')).toBeVisible();
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/login/);

  await logInViaUi(page, username);
  const notice = page.getByTestId('deletion-notice');
  await expect(notice).toContainText('Your account will be deleted on');
  await notice.getByRole('button', { name: 'Keep my account' }).click();
  await expect(notice).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('welcome-name')).toBeVisible();
  await expect(page.getByTestId('deletion-notice')).toHaveCount(0);
});

test('a guest deletes their identity at once', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('button', { name: 'Continue as guest' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await page.goto('/settings/account');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
  await expect(dialog.getByLabel('Password')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/channels/@me');
  await expect(page).toHaveURL(/\/login/);
});
