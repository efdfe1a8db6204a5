import { expect, test } from './people';

test('create a server, invite a friend, and chat in real time', async ({ newPerson }) => {
  const ada = (await newPerson('Ada')).page;
  const grace = (await newPerson('Grace')).page;

  // Ada creates a server and copies an invite link.
  await ada.getByRole('button', { name: 'Add a server' }).click();
  await ada.getByLabel('Server name').fill('Analytical Engine');
  await ada.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(ada.getByTestId('guild-name')).toHaveText('Analytical Engine');
  await expect(ada.getByTestId('channel-title')).toHaveText('general');
  await ada.getByRole('button', { name: /server menu/ }).click();
  await ada.getByRole('menuitem', { name: 'Invite people' }).click();
  const link = ada.getByTestId('invite-link');
  await expect(link).toHaveValue(/\/invite\/[A-Za-z0-9]+$/);
  const inviteUrl = await link.inputValue();
  await ada.keyboard.press('Escape');

  // Grace opens the link and joins.
  await grace.goto(inviteUrl);
  await expect(grace.getByTestId('invite-guild')).toHaveText('Analytical Engine');
  await grace.getByRole('button', { name: /^Join/ }).click();
  await expect(grace.getByTestId('channel-title')).toHaveText('general');

  // They talk: typing indicator, messages both ways.
  await grace.getByTestId('composer').pressSequentially('Hello');
  await expect(ada.getByTestId('typing-indicator')).toHaveText('Grace is typing…');
  await grace.getByTestId('composer').press('Enter');
  await expect(ada.getByTestId('message-text').filter({ hasText: 'Hello' })).toBeVisible();
  await expect(ada.getByTestId('typing-indicator')).toHaveText('');
  await ada.getByTestId('composer').fill('Welcome, **Grace**!');
  await ada.getByTestId('composer').press('Enter');
  await expect(grace.locator('[data-testid="message-text"] strong', { hasText: 'Grace' })).toBeVisible();

  // Grace replies to Ada's message; Ada sees the quoted preview.
  const adaMessage = grace.getByTestId('message').filter({ hasText: 'Welcome' });
  await adaMessage.hover();
  await adaMessage.getByRole('button', { name: 'Reply' }).click();
  await expect(grace.getByTestId('replying-to')).toContainText('Ada');
  await grace.getByTestId('composer').fill('Thank you!');
  await grace.getByTestId('composer').press('Enter');
  const reply = ada.getByTestId('message').filter({ hasText: 'Thank you!' });
  await expect(reply.locator('.reply-preview')).toContainText('Welcome');

  // Grace edits (Up arrow on an empty box edits the last message) and Ada sees it.
  await grace.getByTestId('composer').press('ArrowUp');
  await expect(grace.getByTestId('composer')).toHaveValue('Thank you!');
  await grace.getByTestId('composer').fill('Thank you so much!');
  await grace.getByTestId('composer').press('Enter');
  await expect(ada.getByTestId('message').filter({ hasText: 'Thank you so much!' }).getByText('(edited)')).toBeVisible();

  // Ada reacts to Grace's first message; Grace sees the count.
  const hello = ada.getByTestId('message').filter({ hasText: 'Hello' }).first();
  await hello.hover();
  await hello.getByRole('button', { name: 'Add reaction' }).click();
  await ada.getByRole('menuitem', { name: 'React with 🎉' }).click();
  await expect(grace.getByTestId('message').filter({ hasText: 'Hello' }).first().getByTestId('reaction')).toHaveText(/🎉\s*1/);

  // Grace deletes her reply, confirming in the app's dialog; it disappears for Ada.
  const ownReply = grace.getByTestId('message').filter({ hasText: 'Thank you so much!' });
  await ownReply.hover();
  await ownReply.getByRole('button', { name: 'Delete' }).click();
  const confirmDelete = grace.getByRole('dialog', { name: 'Delete message' });
  await expect(confirmDelete.getByTestId('delete-preview')).toContainText('Thank you so much!');
  await confirmDelete.getByRole('button', { name: 'Delete' }).click();
  await expect(confirmDelete).toBeHidden();
  await expect(ada.getByTestId('message').filter({ hasText: 'Thank you so much!' })).toHaveCount(0);

  // Both see each other online in the member list.
  await expect(ada.getByTestId('member').filter({ hasText: 'Grace' }).getByRole('img', { name: 'Online' })).toBeVisible();
});
