import { expect, serverWith, test } from './people';

test('quick switcher and Alt+arrows move between conversations by keyboard', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId, channels } = await serverWith(ada, [grace], 'Keys Lab', ['random', 'news']);
  const dm = await grace.api.post<{ id: string }>('/users/@me/channels', { recipient_id: ada.id });
  const page = ada.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  await expect(page.getByTestId('channel-title')).toHaveText('general');

  // Ctrl+K, a few letters, Enter.
  await page.keyboard.press('Control+k');
  const dialog = page.getByRole('dialog', { name: 'Go to a conversation' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('combobox', { name: 'Where to?' })).toBeFocused();
  await page.keyboard.type('rndm');
  await expect(dialog.getByRole('option').first()).toContainText('random');
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page).toHaveURL(`/channels/${guildId}/${channels.random}`);

  // Alt+Down / Alt+Up follow the sidebar's order, wrapping around.
  const names = await page.getByTestId('channel-link').locator('.name').allInnerTexts();
  const at = names.indexOf('random');
  const next = names[(at + 1) % names.length]!;
  await page.keyboard.press('Alt+ArrowDown');
  await expect(page.getByTestId('channel-title')).toHaveText(next);
  await page.keyboard.press('Alt+ArrowUp');
  await expect(page.getByTestId('channel-title')).toHaveText('random');

  // Alt+Shift+Down skips to the next channel with unread messages.
  await grace.api.post(`/channels/${channels.news}/messages`, { content: 'Breaking news' });
  await expect(page.getByTestId('channel-link').filter({ hasText: 'news' })).toHaveClass(/unread/);
  await page.getByTestId('composer').focus();
  await page.keyboard.press('Alt+Shift+ArrowDown');
  await expect(page.getByTestId('channel-title')).toHaveText('news');
  await expect(page.getByTestId('message').filter({ hasText: 'Breaking news' })).toBeVisible();

  // From the composer too, even empty after sending (where Up alone edits the last message).
  await page.getByTestId('composer').fill('Thanks');
  await page.getByTestId('composer').press('Enter');
  await expect(page.getByTestId('message').filter({ hasText: 'Thanks' })).toBeVisible();
  const before = names[(names.indexOf('news') - 1 + names.length) % names.length]!;
  await page.getByTestId('composer').press('Alt+ArrowUp');
  await expect(page.getByTestId('channel-title')).toHaveText(before);
  await page.getByTestId('composer').press('Alt+ArrowDown');
  await expect(page.getByTestId('channel-title')).toHaveText('news');
  await expect(page.getByTestId('composer')).toHaveValue('');

  // The header button opens it too; Escape closes it; people are found by name.
  await page.getByRole('button', { name: /Go to a conversation/ }).click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await page.keyboard.press('Control+k');
  await page.keyboard.type('grace');
  await expect(dialog.getByRole('option').first()).toContainText('Direct message');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`/channels/@me/${dm.id}`);
});
