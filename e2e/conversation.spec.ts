import { expect, serverWith, test } from './people';
import { expectAccessible } from './axe';
import { send } from './servers';

/** Details of a conversation a new user runs into: read markers, reply quotes, deleting. */

test('your own messages never sit under the "New messages" line, after switching channels or reloading', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId } = await serverWith(ada, [grace], 'Reading Room', ['other']);
  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  await grace.page.goto(`/channels/${guildId}/${generalId}`);
  const divider = ada.page.getByTestId('new-messages-divider');
  const link = (name: string) => ada.page.getByTestId('channel-link').filter({ hasText: name });

  // Grace says something and Ada answers at once (before her read marker for Grace's message is saved).
  await send(grace.page, 'anyone here?');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'anyone here?' })).toBeVisible();
  await send(ada.page, 'yes, me!');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'yes, me!' })).toBeVisible();
  await expect(grace.page.getByTestId('message-text').filter({ hasText: 'yes, me!' })).toBeVisible();

  // Away and back: nothing is new.
  await link('other').click();
  await expect(ada.page.getByTestId('channel-title')).toHaveText('other');
  await link('general').click();
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'yes, me!' })).toBeVisible();
  await expect(divider).toHaveCount(0);

  // The server has Ada's own message as read too: a reload shows no line either.
  await ada.page.reload();
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'yes, me!' })).toBeVisible();
  await expect(divider).toHaveCount(0);

  // What Grace writes while Ada is away is new: the line sits above it, below Ada's message.
  await link('other').click();
  await expect(ada.page.getByTestId('channel-title')).toHaveText('other');
  await grace.api.post(`/channels/${generalId}/messages`, { content: 'while you were away' });
  await expect(link('general')).toHaveClass(/unread/);
  await link('general').click();
  await expect(divider).toHaveCount(1);
  const rows = ada.page.locator('[data-testid="new-messages-divider"], [data-testid="message"]');
  await expect(rows.filter({ hasText: /yes, me!|New messages|while you were away/ })).toHaveText([/yes, me!/, /New messages/, /while you were away/]);
});

test('a reply quotes its message as one line of formatted text, not raw Markdown', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId } = await serverWith(ada, [grace], 'Quotes');
  const original = await ada.api.post<{ id: string }>(`/channels/${generalId}/messages`, {
    content: '**Bold plan** with `code` and ||a secret||\n```js\nconst answer = 42;\n```\n> and a quote',
  });
  await grace.api.post(`/channels/${generalId}/messages`, { content: 'Sounds good', message_reference: { message_id: original.id } });
  await ada.page.goto(`/channels/${guildId}/${generalId}`);

  const quote = ada.page.getByTestId('message').filter({ hasText: 'Sounds good' }).getByTestId('reply-text');
  await expect(quote.locator('strong')).toHaveText('Bold plan');
  await expect(quote.locator('code')).toHaveText(['code', 'const answer = 42;']);
  await expect(quote.locator('.spoiler')).toHaveText('a secret');
  await expect(quote).toContainText('and a quote');
  await expect(quote).not.toContainText('**');
  await expect(quote).not.toContainText('```');
  await expect(quote).not.toContainText('>');
  // One line: as tall as a line of its text, cut with an ellipsis rather than wrapped.
  const height = await quote.evaluate((el) => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight || '16'));
  expect(height).toBeLessThan(1.6);
  await expect(quote.locator('a, pre, p, blockquote, [role="button"]')).toHaveCount(0);

  // In the original, the spoiler is reached and revealed with the keyboard.
  const spoiler = ada.page.getByTestId('message').filter({ hasText: 'Bold plan' }).first().getByTestId('message-text').locator('.spoiler');
  await spoiler.focus();
  await expect(spoiler).toBeFocused();
  await ada.page.keyboard.press('Enter');
  await expect(spoiler).toHaveClass(/revealed/);

  // Still the way to the original.
  await quote.click();
  await expect(ada.page.getByTestId('message').filter({ hasText: 'Bold plan' }).first()).toBeInViewport();
});

test('deleting a message asks in the app (Escape keeps it), Shift+click skips the question', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const { guildId, generalId } = await serverWith(ada, [], 'Tidy Up');
  await ada.api.post(`/channels/${generalId}/messages`, { content: 'first **draft**' });
  await ada.api.post(`/channels/${generalId}/messages`, { content: 'second draft' });
  const page = ada.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  // A browser confirm() would fail the test: none may appear.
  page.on('dialog', (dialog) => {
    throw new Error(`unexpected browser dialog: ${dialog.message()}`);
  });

  const first = page.getByTestId('message').filter({ hasText: 'first draft' });
  await first.hover();
  const deleteButton = first.getByRole('button', { name: 'Delete' });
  await deleteButton.click();
  const dialog = page.getByRole('dialog', { name: 'Delete message' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('delete-preview').locator('strong', { hasText: 'draft' })).toBeVisible();
  await expect(dialog).toContainText('hold Shift');
  await expectAccessible(page, 'the delete confirmation');
  // Focus is in the dialog; Escape closes it and keeps the message.
  await expect(dialog.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(first).toBeVisible();

  // Cancel keeps it too; Delete removes it.
  await first.hover();
  await deleteButton.click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(first).toBeVisible();
  await first.hover();
  await deleteButton.click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog).toBeHidden();
  await expect(first).toHaveCount(0);

  // Shift+click: gone at once, no question.
  const second = page.getByTestId('message').filter({ hasText: 'second draft' });
  await second.hover();
  await second.getByRole('button', { name: 'Delete' }).click({ modifiers: ['Shift'] });
  await expect(second).toHaveCount(0);
  await expect(dialog).toHaveCount(0);
});
