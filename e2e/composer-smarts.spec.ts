import { expect, serverWith, test } from './people';

test('mention someone from the autocomplete: they get a badge on the channel and the server until they open it', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId, channels } = await serverWith(ada, [grace], 'Mentions Lab', ['random']);

  // Grace is elsewhere in the server when the mention comes.
  await grace.page.goto(`/channels/${guildId}/${channels.random}`);
  await expect(grace.page.getByTestId('channel-title')).toHaveText('random');

  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  const composer = ada.page.getByTestId('composer');
  await composer.pressSequentially('Thanks @gra');
  const list = ada.page.getByRole('listbox', { name: 'Members' });
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(list.getByRole('option').first()).toContainText('Grace');
  await expect(composer).toHaveAttribute('aria-activedescendant', /-0$/);
  await composer.press('Tab');
  await expect(list).toBeHidden();
  await expect(composer).toHaveValue(`Thanks @${grace.username} `);

  // Channel links complete the same way; Escape closes a list without touching the text.
  await composer.pressSequentially('see #ran');
  await ada.page
    .getByRole('listbox', { name: 'Channels' })
    .getByRole('option', { name: /random/ })
    .click();
  await expect(composer).toHaveValue(`Thanks @${grace.username} see #random `);
  await composer.pressSequentially('@');
  await expect(ada.page.getByRole('listbox', { name: 'Members' })).toBeVisible();
  await composer.press('Escape');
  await expect(ada.page.getByRole('listbox')).toHaveCount(0);
  await composer.press('Backspace');
  await composer.press('Enter');

  // The message shows the mention and the channel link by name, for both.
  const sent = ada.page.getByTestId('message').filter({ hasText: 'Thanks' });
  await expect(sent.locator('.mention', { hasText: '@Grace' })).toBeVisible();
  await expect(sent.locator('.mention', { hasText: '#random' })).toBeVisible();

  // Grace sees a mention badge on #general and on the server's icon; opening it clears both.
  const generalLink = grace.page.getByTestId('channel-link').filter({ hasText: 'general' });
  await expect(generalLink.getByTestId('channel-mentions')).toHaveText('1 mention');
  await expect(grace.page.getByRole('link', { name: 'Mentions Lab, 1 mention' })).toBeVisible();
  await expect(grace.page.getByTestId('server-mentions')).toHaveText('1');
  await generalLink.click();
  await expect(grace.page.getByTestId('message').filter({ hasText: 'Thanks' })).toHaveClass(/mentioned/);
  await expect(generalLink.getByTestId('channel-mentions')).toHaveCount(0);
  await expect(grace.page.getByTestId('server-mentions')).toHaveCount(0);
  await expect(grace.page.getByRole('link', { name: 'Mentions Lab', exact: true })).toBeVisible();

  // Editing puts names back in the composer, and saving keeps the mention.
  await ada.page.getByTestId('composer').press('ArrowUp');
  await expect(ada.page.getByTestId('composer')).toHaveValue(`Thanks @${grace.username} see #random `);
});

test('owners can mention @everyone; emoji shortcodes expand and autocomplete', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId } = await serverWith(ada, [grace], 'Emoji Lab');
  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  const composer = ada.page.getByTestId('composer');

  await composer.pressSequentially('@ev');
  await expect(ada.page.getByRole('option', { name: /@everyone/ })).toBeVisible();
  await composer.press('Enter');
  await expect(composer).toHaveValue('@everyone ');

  // The closing colon turns a known shortcode into its emoji; unknown ones stay as typed.
  await composer.pressSequentially('great :tada: :notanemoji: ');
  await expect(composer).toHaveValue('@everyone great 🎉 :notanemoji: ');

  // After a colon and two letters, a list; arrows choose.
  await composer.pressSequentially(':thumbs');
  const emojiList = ada.page.getByRole('listbox', { name: 'Emoji' });
  await expect(emojiList.getByRole('option').first()).toContainText(':thumbsup:');
  await composer.press('ArrowDown');
  await expect(emojiList.getByRole('option').nth(1)).toHaveAttribute('aria-selected', 'true');
  await composer.press('ArrowUp');
  await composer.press('Enter');
  await expect(composer).toHaveValue('@everyone great 🎉 :notanemoji: 👍 ');
  await composer.press('Enter');

  // Grace (in another channel view: home) is mentioned through @everyone.
  await expect(grace.page.getByTestId('server-mentions')).toHaveText('1');

  // Grace is not allowed to mention everyone: no such suggestion for her.
  await grace.page.goto(`/channels/${guildId}/${generalId}`);
  await expect(grace.page.getByTestId('message').filter({ hasText: 'great 🎉' })).toBeVisible();
  await grace.page.getByTestId('composer').pressSequentially('@');
  await expect(grace.page.getByRole('listbox', { name: 'Members' })).toBeVisible();
  await expect(grace.page.getByRole('option', { name: /@everyone/ })).toHaveCount(0);
});

test('mention a role: the autocomplete offers mentionable roles, and everyone holding it gets a mention', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const cy = await newPerson('Cy');
  const { guildId, generalId, channels } = await serverWith(ada, [grace, cy], 'Role Mentions', ['random']);
  const mentors = await ada.api.post<{ id: string }>(`/guilds/${guildId}/roles`, { name: 'Mentors', color: 0x9b59b6, hoist: true, mentionable: true });
  await ada.api.post(`/guilds/${guildId}/roles`, { name: 'Mentorship-board', mentionable: false });
  await ada.api.put(`/guilds/${guildId}/members/${grace.id}/roles/${mentors.id}`);
  await grace.page.goto(`/channels/${guildId}/${channels.random}`);
  await expect(grace.page.getByTestId('channel-title')).toHaveText('random');

  // Cy may not mention everyone: only the mentionable role is offered.
  await cy.page.goto(`/channels/${guildId}/${generalId}`);
  const composer = cy.page.getByTestId('composer');
  await composer.pressSequentially('Help please @Mentor');
  const list = cy.page.getByRole('listbox', { name: 'Members' });
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(list.getByRole('option')).toContainText('Mentors');
  await composer.press('Tab');
  await expect(composer).toHaveValue('Help please @Mentors ');
  await composer.press('Enter');
  await expect(cy.page.getByTestId('message').filter({ hasText: 'Help please' }).locator('.mention', { hasText: '@Mentors' })).toBeVisible();

  // Grace holds the role: #general shows her a mention, and the message is highlighted for her.
  const generalLink = grace.page.getByTestId('channel-link').filter({ hasText: 'general' });
  await expect(generalLink.getByTestId('channel-mentions')).toHaveText('1 mention');
  await generalLink.click();
  await expect(grace.page.getByTestId('message').filter({ hasText: 'Help please' })).toHaveClass(/mentioned/);

  // Editing puts the role's name back.
  await composer.press('ArrowUp');
  await expect(composer).toHaveValue('Help please @Mentors ');
  await composer.press('Escape');

  // The role is hoisted and colored: Grace is listed under it, her name in its color everywhere.
  const purple = 'rgb(155, 89, 182)';
  await expect(cy.page.getByTestId('member-group')).toHaveText(['Mentors — 1', 'Online — 2']);
  const listed = cy.page.getByTestId('member-list').getByTestId('member').first();
  await expect(listed).toContainText('Grace');
  await expect(listed.locator('.name')).toHaveCSS('color', purple);
  await grace.page.getByTestId('composer').fill('On my way');
  await grace.page.getByTestId('composer').press('Enter');
  const answer = cy.page.getByTestId('message').filter({ hasText: 'On my way' });
  await expect(answer.getByTestId('message-author')).toHaveCSS('color', purple);
  await expect(cy.page.getByTestId('message').filter({ hasText: 'Help please' }).getByTestId('message-author')).not.toHaveCSS('color', purple);
});
