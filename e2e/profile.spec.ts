import { expect, test } from './fixtures';
import sharp from 'sharp';
import { signUpViaUi } from './helpers';

test('edit the profile and upload an avatar, resized on the server', async ({ page }) => {
  await signUpViaUi(page);
  await page.getByRole('link', { name: 'User settings' }).click();
  await expect(page).toHaveURL(/\/settings\/profile$/);

  await page.getByLabel('Display name').fill('Ada Lovelace');
  await page.getByLabel('Custom status').fill('computing');
  await page.getByLabel('About me').fill('First programmer.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Profile saved.')).toBeVisible();
  await expect(page.getByTestId('panel-display-name')).toHaveCount(0); // settings hide the app shell

  const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#0a7' } })
    .png()
    .toBuffer();
  await page.getByTestId('avatar-input').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
  const avatar = page.locator('img.avatar').first();
  await expect(avatar).toHaveAttribute('src', /\/cdn\/avatars\/\d+\/[0-9a-f]{32}\.webp$/);
  await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);

  // A file that is not an image is refused with a message, and the avatar stays.
  const src = await avatar.getAttribute('src');
  await page.getByTestId('avatar-input').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
  await expect(page.getByText('not a readable PNG, JPEG, WebP or GIF')).toBeVisible();
  await expect(avatar).toHaveAttribute('src', src!);

  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByTestId('welcome-name')).toHaveText('Ada Lovelace');
  await expect(page.getByText('First programmer.')).toBeVisible();
  await expect(page.getByTestId('panel-display-name')).toHaveText('Ada Lovelace');
});
